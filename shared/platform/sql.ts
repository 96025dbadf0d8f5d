/**
 * The one place where values become ClickHouse SQL text.
 *
 * ClickHouse 18.16 has no query parameters (`{name:Type}` arrived in 19.x), so values are bound as
 * escaped literals here and nowhere else: every query is built with the `sql` tagged template, and
 * any other string concatenation of user input is a bug. String literals follow ClickHouse's
 * grammar for quoted strings (backslash escapes; `\xHH` for bytes), which is the same in current
 * ClickHouse, so this stays valid after an upgrade.
 */
export class Sql {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type SqlValue = string | number | bigint | boolean | Date | null | Sql | readonly SqlValue[];

function hexByte(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0').toUpperCase()}`;
}

/** A quoted ClickHouse string literal that reads back as exactly `value`. */
export function stringLiteral(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    // Control characters are escaped so that no log line, HTTP framing or terminal sees them raw.
    else if (code < 0x20 || code === 0x7f) out += hexByte(code);
    else out += ch;
  }
  return `${out}'`;
}

function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`cannot bind non-finite number ${value} into SQL`);
  const text = Number.isInteger(value) ? value.toFixed(0) : value.toString();
  // Parenthesised so that `a - ${-1}` never becomes the comment marker `--`.
  return value < 0 ? `(${text})` : text;
}

export function literal(value: SqlValue): string {
  if (value instanceof Sql) return value.text;
  if (value === null) return 'NULL';
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'bigint') return value < 0n ? `(${value.toString()})` : value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new TypeError('cannot bind an invalid Date into SQL');
    return `toDateTime(${Math.floor(ms / 1000)})`;
  }
  if (Array.isArray(value)) return `[${value.map((item) => literal(item)).join(', ')}]`;
  throw new TypeError(`cannot bind ${typeof value} into SQL`);
}

/** Tagged template: `sql\`SELECT 1 WHERE tenant = ${tenant}\``. Interpolations are always literals. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Sql {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += literal(value) + (strings[index + 1] ?? '');
  });
  return new Sql(text);
}

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A table, column or database name. Only plain identifiers are allowed; they come from config. */
export function identifier(name: string): Sql {
  if (!identifierPattern.test(name)) throw new TypeError(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return new Sql(name);
}

/** A tuple literal for `(a, b) IN (...)`-style comparisons. */
export function tuple(values: readonly SqlValue[]): Sql {
  return new Sql(`(${values.map((v) => literal(v)).join(', ')})`);
}

/** Joins fragments that were themselves built with `sql`. */
export function joinSql(parts: readonly Sql[], separator: string): Sql {
  return new Sql(parts.map((p) => p.text).join(separator));
}

export const emptySql = new Sql('');
