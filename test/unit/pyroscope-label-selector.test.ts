import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import { matches, parseLabelSelector, sanitiseLabelName } from '../../shared/query/pyroscope/label-selector.js';
import type { LabelMatcher } from '../../shared/query/sql/label-source.js';

const limits = { maxSelectorBytes: 16 * 1024, maxMatchers: 64 };
const parse = (text: string) => parseLabelSelector(text, limits);

function refusal(text: string): string {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(HotspotsError);
    expect((error as HotspotsError).code).toBe('bad_request');
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

describe('parseLabelSelector', () => {
  it('reads the four operators, every quoting and a trailing comma', () => {
    expect(parse(` { service_name = "api" , a!='b' ,c=~\`x.*\`, d!~"y|z", } `)).toEqual([
      { name: 'service_name', op: '=', value: 'api' },
      { name: 'a', op: '!=', value: 'b' },
      { name: 'c', op: '=~', value: 'x.*' },
      { name: 'd', op: '!~', value: 'y|z' },
    ]);
  });

  it('reads Go escapes in quoted strings and none in backquoted ones', () => {
    const backquoted = '`\\n`';
    expect(parse(String.raw`{a="\"\\\n\t\x41\101\u00e9\U0001D11E", b='\'', c=${backquoted}}`)).toEqual([
      { name: 'a', op: '=', value: '"\\\n\tAAé𝄞' },
      { name: 'b', op: '=', value: "'" },
      { name: 'c', op: '=', value: '\\n' },
    ]);
  });

  it('reads {} as no matchers and a metric name as __name__', () => {
    expect(parse('{}')).toEqual([]);
    expect(parse('process_cpu')).toEqual([{ name: '__name__', op: '=', value: 'process_cpu' }]);
    expect(parse('process_cpu{a="b"}')).toEqual([
      { name: '__name__', op: '=', value: 'process_cpu' },
      { name: 'a', op: '=', value: 'b' },
    ]);
  });

  it.each([
    ['', 'empty selector'],
    ['{', 'expected a label name'],
    ['{a="b"', 'expected , or }'],
    ['{a="b"} x', 'unexpected text after }'],
    ['{a.b="c"}', 'expected one of =, !=, =~, !~'],
    ['{1a="b"}', 'expected a label name'],
    ['{a=b}', 'expected a quoted string'],
    ['{a=="b"}', 'expected a quoted string'],
    ['{a="b}', 'unterminated string'],
    ['{a="\\q"}', 'unknown escape'],
    ['{a="\\x4"}', 'hex digits'],
    ['{a="\\777"}', 'bad octal escape'],
    ['{a="\\UFFFFFFFF"}', 'not a Unicode code point'],
    ['{a="x\ny"}', 'newline in a quoted string'],
    ['{a=~"("}', 'not RE2 syntax'],
    ['{a=~"(?=x)"}', 'not RE2 syntax'],
    // A backreference (JavaScript has them, RE2 does not).
    ['{a!~"(x)\\\\1"}', 'not RE2 syntax'],
  ])('refuses %j with the reason (%s)', (text, reason) => {
    expect(refusal(text)).toContain(reason);
  });

  it('refuses selectors above the byte and matcher limits', () => {
    expect(() => parseLabelSelector(`{a="${'x'.repeat(100)}"}`, { maxSelectorBytes: 50, maxMatchers: 5 })).toThrow(
      /longer than 50 bytes/,
    );
    const six = `{${Array.from({ length: 6 }, (_, i) => `a${i}="x"`).join(',')}}`;
    expect(() => parseLabelSelector(six, { maxSelectorBytes: 1000, maxMatchers: 5 })).toThrow(/more than 5 matchers/);
  });

  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
  const value = fc.string({
    unit: fc.oneof(
      fc.constantFrom('"', "'", '\\', '\n', '`', '{', '}', ',', '='),
      fc.string({ unit: 'grapheme', maxLength: 1 }),
    ),
  });
  const matcher: fc.Arbitrary<LabelMatcher> = fc.oneof(
    fc.record({ name, op: fc.constantFrom('=' as const, '!=' as const), value }),
    // A literal as a regex: RE2's own quoting keeps it valid whatever it holds.
    fc.record({ name, op: fc.constantFrom('=~' as const, '!~' as const), value: value.map((v) => RE2JS.quote(v)) }),
  );

  it('reads back any matchers written with JSON string escapes (a subset of Go’s)', () => {
    fc.assert(
      fc.property(fc.array(matcher, { maxLength: 8 }), fc.constantFrom('', ' ', '\t', '\n '), (list, space) => {
        const text = `{${space}${list.map((m) => `${m.name}${space}${m.op}${space}${JSON.stringify(m.value)}`).join(`${space},${space}`)}${space}}`;
        expect(parse(text)).toEqual(list);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses arbitrary text with a 400 or reads it, never failing otherwise', () => {
    const text = fc.oneof(
      fc.string({
        unit: fc.constantFrom('{', '}', '"', "'", '`', '\\', '=', '!', '~', ',', 'a', '_', '1', ' ', '(', 'x'),
      }),
      fc.string({ unit: 'binary', maxLength: 60 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          const parsed = parse(t);
          for (const m of parsed) expect(m.name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        } catch (error) {
          expect(error).toBeInstanceOf(HotspotsError);
          expect((error as HotspotsError).status).toBe(400);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('matches', () => {
  it('anchors regular expressions and reads an absent label as ""', () => {
    expect(matches({ name: 'a', op: '=~', value: 'b' }, 'abc')).toBe(false);
    expect(matches({ name: 'a', op: '=~', value: 'a.c|x' }, 'abc')).toBe(true);
    expect(matches({ name: 'a', op: '!~', value: '.+' }, '')).toBe(true);
    expect(matches({ name: 'a', op: '!=', value: 'x' }, '')).toBe(true);
  });
});

describe('sanitiseLabelName', () => {
  it('replaces every character outside [A-Za-z0-9_] with one _, per code point', () => {
    expect(sanitiseLabelName('trace endpoint')).toBe('trace_endpoint');
    expect(sanitiseLabelName('local root span id')).toBe('local_root_span_id');
    expect(sanitiseLabelName('a.b-c/é𝄞')).toBe('a_b_c___');
  });
});
