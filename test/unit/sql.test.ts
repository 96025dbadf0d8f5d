import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emptySql,
  identifier,
  joinSql,
  literal,
  Sql,
  type SqlValue,
  sql,
  stringLiteral,
  stringSet,
  tuple,
  uint64Set,
} from '../../shared/platform/sql.js';

const RUNS = { numRuns: 200 };

/**
 * An independent reader of ClickHouse quoted string literals, over the UTF-8 bytes ClickHouse
 * receives (IO/ReadHelpers.cpp: readQuotedStringWithSQLStyle, parseComplexEscapeSequence and
 * parseEscapeSequence, unchanged from 18.16 to today):
 * - `\xHH` is the byte 0xHH;
 * - `\N` is nothing; `\a \b \e \f \n \r \t \v \0` are their control bytes;
 * - a backslash before any other byte is that byte (so `\\` and `\'` are `\` and `'`);
 * - `''` inside the literal is one quote (SQL style);
 * - a lone `'` ends the literal, and here it must be the last byte of the text.
 * Returns the bytes the literal denotes.
 */
function readClickHouseQuotedString(text: string): Uint8Array {
  const input = Buffer.from(text, 'utf8');
  const quote = 0x27;
  const backslash = 0x5c;
  const named: Record<string, number> = { a: 7, b: 8, e: 0x1b, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, '0': 0 };
  if (input[0] !== quote) throw new Error('expected an opening quote');
  const out: number[] = [];
  let at = 1;
  while (at < input.length) {
    const byte = input[at] as number;
    if (byte === quote) {
      if (input[at + 1] === quote) {
        out.push(quote);
        at += 2;
        continue;
      }
      if (at !== input.length - 1) throw new Error(`literal ends at byte ${at}, before the end of the text`);
      return Uint8Array.from(out);
    }
    if (byte !== backslash) {
      out.push(byte);
      at += 1;
      continue;
    }
    const escaped = input[at + 1];
    if (escaped === undefined) throw new Error('escape sequence at end of input');
    const letter = String.fromCharCode(escaped);
    if (letter === 'x') {
      const hex = input.subarray(at + 2, at + 4).toString('latin1');
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`bad \\x escape ${JSON.stringify(hex)}`);
      out.push(Number.parseInt(hex, 16));
      at += 4;
    } else if (letter === 'N') {
      at += 2;
    } else {
      out.push(named[letter] ?? escaped);
      at += 2;
    }
  }
  throw new Error('expected a closing quote');
}

/** Index of the first quote that is not escaped, after the opening one; -1 when there is none. */
function firstUnescapedQuote(text: string): number {
  for (let at = 1; at < text.length; at += 1) {
    if (text[at] === '\\') at += 1;
    else if (text[at] === "'") return at;
  }
  return -1;
}

const hostileChars = fc.constantFrom("'", '\\', '"', '`', '\n', '\r', '\t', '\0', '\x1b', '\x7f', '-', '/', '*', ';');
const hostileString = fc.string({ unit: hostileChars, maxLength: 40 });
const controlString = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) });
/** UTF-16 code units, lone surrogates included: what a JS string can hold but UTF-8 cannot. */
const codeUnitString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary-ascii' }),
  hostileString,
  controlString,
);

describe('stringLiteral', () => {
  it('reads back as exactly the input bytes for arbitrary strings', () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const read = readClickHouseQuotedString(stringLiteral(value));

        expect(Buffer.from(read).equals(Buffer.from(value, 'utf8'))).toBe(true);
      }),
      RUNS,
    );
  });

  it('reads back as the UTF-8 of strings holding lone surrogates', () => {
    fc.assert(
      fc.property(codeUnitString, (value) => {
        const read = readClickHouseQuotedString(stringLiteral(value));

        expect(Buffer.from(read).equals(Buffer.from(value, 'utf8'))).toBe(true);
      }),
      RUNS,
    );
  });

  it('never contains an unescaped quote before its closing quote', () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const text = stringLiteral(value);

        expect(firstUnescapedQuote(text)).toBe(text.length - 1);
      }),
      RUNS,
    );
  });

  it('never contains a raw control character', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, controlString), (value) => {
        const text = stringLiteral(value);

        expect(text).not.toMatch(/[\u0000-\u001f\u007f]/);
      }),
      RUNS,
    );
  });

  it('escapes a quote and a backslash with a backslash', () => {
    const text = stringLiteral("it's a \\ path");

    expect(text).toBe("'it\\'s a \\\\ path'");
  });

  it('writes control characters as \\xHH', () => {
    const text = stringLiteral('a\nb\0c\x7f');

    expect(text).toBe("'a\\x0Ab\\x00c\\x7F'");
  });

  it('keeps non-ASCII text as it is', () => {
    const text = stringLiteral('Grüße, 東京 🚀');

    expect(text).toBe("'Grüße, 東京 🚀'");
  });

  it('writes the empty string as two quotes', () => {
    expect(stringLiteral('')).toBe("''");
  });
});

describe('literal of numbers', () => {
  it('writes a non-negative integer as its digits', () => {
    expect(literal(42)).toBe('42');
  });

  it('parenthesises a negative number so that `a - x` never becomes a comment', () => {
    const text = sql`SELECT a - ${-1}`.text;

    expect(text).toBe('SELECT a - (-1)');
  });

  it('parenthesises a negative fraction', () => {
    expect(literal(-1.5)).toBe('(-1.5)');
  });

  it('writes a large integer with all its digits', () => {
    expect(literal(2 ** 53)).toBe('9007199254740992');
  });

  it('reads back as the same number for every finite double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = literal(value);
        const inner = text.startsWith('(') ? text.slice(1, -1) : text;

        expect(Number(inner)).toBe(value === 0 ? 0 : value);
        expect(text).not.toContain('--');
      }),
      RUNS,
    );
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'refuses the non-finite number %s',
    (value) => {
      expect(() => literal(value)).toThrow(TypeError);
    },
  );
});

describe('literal of other values', () => {
  it('writes a bigint with every digit', () => {
    expect(literal(2n ** 64n - 1n)).toBe('18446744073709551615');
  });

  it('parenthesises a negative bigint', () => {
    expect(literal(-(2n ** 63n))).toBe('(-9223372036854775808)');
  });

  it('writes null as NULL', () => {
    expect(literal(null)).toBe('NULL');
  });

  it('writes booleans as 1 and 0', () => {
    expect([literal(true), literal(false)]).toEqual(['1', '0']);
  });

  it('writes a Date as toDateTime of its whole unix seconds', () => {
    const text = literal(new Date('2026-11-24T10:00:00.999Z'));

    expect(text).toBe('toDateTime(1795514400)');
  });

  it('refuses an invalid Date', () => {
    expect(() => literal(new Date(Number.NaN))).toThrow(TypeError);
  });

  it('writes arrays, nested ones included, with every item as a literal', () => {
    const text = literal(['a', 1, null, [-2n, "b'"]]);

    expect(text).toBe("['a', 1, NULL, [(-2), 'b\\'']]");
  });

  it('passes an Sql fragment through unchanged', () => {
    expect(literal(new Sql('count()'))).toBe('count()');
  });

  it('refuses a value of an unsupported type', () => {
    const value = { toString: () => "x' OR 1 = 1" } as unknown as SqlValue;

    expect(() => literal(value)).toThrow(TypeError);
  });
});

describe('sql template', () => {
  const scalar: fc.Arbitrary<SqlValue> = fc.oneof(
    anyString,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.bigInt(),
    fc.boolean(),
    fc.constant(null),
  );
  const value: fc.Arbitrary<SqlValue> = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }));

  it('always interpolates values through literal', () => {
    fc.assert(
      fc.property(value, value, (first, second) => {
        const statement = sql`SELECT ${first} FROM t WHERE x = ${second}`;

        expect(statement.text).toBe(`SELECT ${literal(first)} FROM t WHERE x = ${literal(second)}`);
      }),
      RUNS,
    );
  });

  it('keeps a string value inside one literal, whatever it holds', () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const statement = sql`SELECT 1 WHERE tenant = ${value} AND 1 = 1`;
        const literalText = statement.text.slice('SELECT 1 WHERE tenant = '.length, -' AND 1 = 1'.length);

        expect(Buffer.from(readClickHouseQuotedString(literalText)).equals(Buffer.from(value, 'utf8'))).toBe(true);
      }),
      RUNS,
    );
  });

  it('embeds fragments built with sql as they are', () => {
    const where = sql`tenant = ${'t1'}`;

    expect(sql`SELECT * FROM ${identifier('samples')} WHERE ${where}`.text).toBe(
      "SELECT * FROM samples WHERE tenant = 't1'",
    );
  });

  it('renders a template without values as its text', () => {
    expect(sql`SELECT 1`.text).toBe('SELECT 1');
  });

  it('writes a tuple of literals in parentheses', () => {
    expect(tuple(['p', 3n]).text).toBe("('p', 3)");
  });

  it('joins fragments with a separator', () => {
    expect(joinSql([sql`a = ${1}`, sql`b = ${'x'}`], ' AND ').text).toBe("a = 1 AND b = 'x'");
  });

  it('offers an empty fragment that adds nothing', () => {
    expect(sql`SELECT 1${emptySql}`.text).toBe('SELECT 1');
  });
});

describe('identifier', () => {
  const identifierStart = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_'.split(''));
  const identifierPart = fc.constantFrom(...'abcxyzABCXYZ_0123456789'.split(''));
  const plainIdentifier = fc
    .tuple(identifierStart, fc.string({ unit: identifierPart, maxLength: 30 }))
    .map(([start, rest]) => start + rest);

  it('accepts every plain identifier as it is', () => {
    fc.assert(
      fc.property(plainIdentifier, (name) => {
        expect(identifier(name).text).toBe(name);
      }),
      RUNS,
    );
  });

  it('refuses any name holding a character outside [A-Za-z0-9_]', () => {
    const withOtherChar = fc
      .tuple(fc.string({ unit: 'binary', maxLength: 10 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }))
      .filter(([, other]) => /[^A-Za-z0-9_]/.test(other))
      .chain(([base, other]) => fc.nat(base.length).map((at) => `${base.slice(0, at)}${other}${base.slice(at)}`));

    fc.assert(
      fc.property(withOtherChar, (name) => {
        expect(() => identifier(name)).toThrow(TypeError);
      }),
      RUNS,
    );
  });

  it.each(['', '1table', 'samples\n', 'a b', 'db.table', '`x`', 'naïve'])('refuses %j', (name) => {
    expect(() => identifier(name)).toThrow(TypeError);
  });
});

describe('uint64Set and stringSet', () => {
  it('binds values as RowBinary rows of an external table, not as text', () => {
    const set = uint64Set([1n, 2n ** 64n - 1n]);

    expect(set.tables).toEqual([
      {
        name: set.text,
        structure: 'value UInt64',
        rows: Buffer.from('0100000000000000ffffffffffffffff', 'hex'),
      },
    ]);
    expect(set.text).toMatch(/^_set_[0-9a-f]{24}$/);
  });

  it('names equal sets alike and different sets apart', () => {
    expect(uint64Set([5n, 6n]).text).toBe(uint64Set([5n, 6n]).text);
    expect(uint64Set([5n, 6n]).text).not.toBe(uint64Set([6n, 5n]).text);
  });

  it('travels with every statement built around it, once per set', () => {
    const ids = uint64Set([7n]);
    const other = uint64Set([8n]);
    const inner = sql`SELECT x FROM t WHERE x IN ${ids}`;

    const statement = joinSql([sql`SELECT 1 WHERE y IN ${ids} AND y IN (${inner})`, tuple([other])], ' UNION ALL ');

    expect(statement.tables.map((t) => t.name)).toEqual([ids.text, other.text]);
  });

  it.each([-1n, 2n ** 64n])('refuses %s, which is no UInt64', (value) => {
    expect(() => uint64Set([value])).toThrow(TypeError);
  });

  it('binds strings as RowBinary: a LEB128 byte length, then the UTF-8 bytes', () => {
    const long = 'x'.repeat(200);

    const set = stringSet(["a'\\", long, '日']);

    expect(set.tables[0]?.structure).toBe('value String');
    expect(Buffer.from(set.tables[0]?.rows ?? [])).toEqual(
      Buffer.concat([
        Buffer.from([3]),
        Buffer.from("a'\\"),
        Buffer.from([0xc8, 0x01]),
        Buffer.from(long),
        Buffer.from([3]),
        Buffer.from('日'),
      ]),
    );
  });

  it('names a string set apart from a UInt64 set of the same bytes', () => {
    expect(stringSet(['']).text).not.toBe(uint64Set([]).text);
  });

  it('leaves statements without sets with no tables', () => {
    expect(sql`SELECT ${1}`.tables).toEqual([]);
  });
});
