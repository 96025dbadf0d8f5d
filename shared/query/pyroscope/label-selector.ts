import { RE2JS } from 're2js';
import { badRequest } from '../../platform/errors.js';
import type { LabelMatcher, MatchOp } from '../sql/label-source.js';

/**
 * Pyroscope label selectors: PromQL-style matchers, `{a="x", b!="y", c=~"re", d!~"re"}`, with an
 * optional metric name before the braces (`name{…}`, read as `__name__="name"`), as Pyroscope's
 * querier reads them (Prometheus' metric selector grammar). Strings are double- or single-quoted
 * with Go escapes, or backquoted raw. Regular expressions are RE2 (Go's syntax, which ClickHouse's
 * `match` also speaks), fully anchored as in PromQL, `.` matching newlines as in Prometheus 3.
 * They are compiled here so that a bad one is the caller's 400, never the database's error.
 */
export interface SelectorLimits {
  maxSelectorBytes: number;
  maxMatchers: number;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class SelectorParser {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly maxMatchers: number,
  ) {}

  private fail(reason: string): never {
    throw badRequest(`label selector ${JSON.stringify(this.text.slice(0, 200))}: ${reason} at offset ${this.at}`);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at] as string)) this.at += 1;
  }

  private peek(): string | undefined {
    return this.text[this.at];
  }

  private name(): string {
    const start = this.at;
    if (!NAME_START.test(this.peek() ?? '')) this.fail('expected a label name ([A-Za-z_][A-Za-z0-9_]*)');
    while (this.at < this.text.length && NAME_CHAR.test(this.text[this.at] as string)) this.at += 1;
    return this.text.slice(start, this.at);
  }

  private op(): MatchOp {
    const two = this.text.slice(this.at, this.at + 2);
    if (two === '!=' || two === '=~' || two === '!~') {
      this.at += 2;
      return two;
    }
    if (this.peek() === '=') {
      this.at += 1;
      return '=';
    }
    return this.fail('expected one of =, !=, =~, !~');
  }

  private hex(digits: number): number {
    const text = this.text.slice(this.at, this.at + digits);
    if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(text)) this.fail(`expected ${digits} hex digits in an escape`);
    this.at += digits;
    return Number.parseInt(text, 16);
  }

  private escape(quote: string): string {
    const c = this.peek();
    this.at += 1;
    switch (c) {
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'v':
        return '\v';
      case '\\':
        return '\\';
      case 'x':
        return String.fromCharCode(this.hex(2));
      case 'u':
      case 'U': {
        const code = this.hex(c === 'u' ? 4 : 8);
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) this.fail('escape is not a Unicode code point');
        return String.fromCodePoint(code);
      }
      default:
        if (c === quote) return quote;
        if (c !== undefined && /[0-7]/.test(c)) {
          const digits = this.text.slice(this.at - 1, this.at + 2);
          if (!/^[0-7]{3}$/.test(digits) || Number.parseInt(digits, 8) > 255) this.fail('bad octal escape');
          this.at += 2;
          return String.fromCharCode(Number.parseInt(digits, 8));
        }
        return this.fail(`unknown escape \\${c ?? ''}`);
    }
  }

  private string(): string {
    const quote = this.peek();
    if (quote !== '"' && quote !== "'" && quote !== '`') return this.fail('expected a quoted string');
    this.at += 1;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('unterminated string');
      this.at += 1;
      if (c === quote) return out;
      if (quote === '`') out += c;
      else if (c === '\\') out += this.escape(quote);
      else if (c === '\n') this.fail('newline in a quoted string');
      else out += c;
    }
  }

  parse(): LabelMatcher[] {
    const matchers: LabelMatcher[] = [];
    this.skipSpace();
    if (this.peek() !== '{') {
      if (this.at === this.text.length) this.fail('empty selector (send {} for every series)');
      matchers.push({ name: '__name__', op: '=', value: this.name() });
      this.skipSpace();
      if (this.at === this.text.length) return matchers;
    }
    if (this.peek() !== '{') this.fail('expected {');
    this.at += 1;
    this.skipSpace();
    while (this.peek() !== '}') {
      const name = this.name();
      this.skipSpace();
      const op = this.op();
      this.skipSpace();
      const value = this.string();
      if (op === '=~' || op === '!~') checkRegex(name, value);
      matchers.push({ name, op, value });
      if (matchers.length > this.maxMatchers) this.fail(`more than ${this.maxMatchers} matchers`);
      this.skipSpace();
      if (this.peek() === ',') {
        this.at += 1;
        this.skipSpace();
      } else if (this.peek() !== '}') this.fail('expected , or }');
    }
    this.at += 1;
    this.skipSpace();
    if (this.at !== this.text.length) this.fail('unexpected text after }');
    return matchers;
  }
}

function checkRegex(name: string, pattern: string): void {
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    throw badRequest(
      `label selector: the regular expression of ${name} is not RE2 syntax: ${(error as Error).message}`.slice(0, 500),
    );
  }
}

/** The matchers of a selector; a bad selector is a 400 saying where and why. */
export function parseLabelSelector(text: string, limits: SelectorLimits): LabelMatcher[] {
  if (Buffer.byteLength(text, 'utf8') > limits.maxSelectorBytes) {
    throw badRequest(`label selector longer than ${limits.maxSelectorBytes} bytes`);
  }
  return new SelectorParser(text, limits.maxMatchers).parse();
}

/** How a label value (the empty string for an absent label, as in PromQL) meets a matcher. */
export function matches(matcher: LabelMatcher, value: string): boolean {
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return RE2JS.compile(`^(?s:${matcher.value})$`).matches(value);
    case '!~':
      return !RE2JS.compile(`^(?s:${matcher.value})$`).matches(value);
  }
}

/** A label key as Pyroscope stores it: every character outside [A-Za-z0-9_] becomes `_`. */
export function sanitiseLabelName(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/gu, '_');
}
