/**
 * The kinds of configuration variable: what each accepts, how its text becomes a value, and what
 * the generated documentation says of it. A default is kept as the text one would set and parsed
 * like a set value, so a default cannot break its own bounds. An empty variable counts as unset,
 * since deploy tools write "" for a parameter nobody gave.
 */

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** What a text value must look like: checked by `pattern`, described by `allowed` in the docs. */
export interface TextFormat {
  readonly pattern: RegExp;
  /** Markdown for the docs' "allowed" column. */
  readonly allowed: string;
  /** The error's wording after the variable's name; secrets and parts of them must not be echoed. */
  readonly problem: (value: string) => string;
}

/** Integers with a unit are also written in KiB/MiB/GiB or s/min/h/d in the docs. */
export type IntegerUnit = 'bytes' | 'seconds' | 'milliseconds';

interface Described {
  /** One line for docs/configuration.md: what the value means and what happens beyond it. */
  readonly doc: string;
  /**
   * What serverless.yml sets on AWS stages where it differs from the default, naming the deploy
   * parameter that changes it (test/unit/serverless-environment.test.ts holds the two together).
   */
  readonly onAws?: string;
}

interface Variable<T> extends Described {
  /** The default as it would be written in the environment; undefined when there is none. */
  readonly defaultText: string | undefined;
  /** For a variable whose default depends on another: how loadConfig derives it, for the docs. */
  readonly derivedDefault?: string;
  /** The value of the variable's raw text (`undefined` when unset), or a ConfigError naming `name`. */
  readonly value: (raw: string | undefined, name: string) => T;
}

export interface IntegerVariable extends Variable<number> {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
  readonly unit?: IntegerUnit;
}

export interface TextVariable<T extends string | undefined> extends Variable<T> {
  readonly kind: 'text';
  readonly format?: TextFormat;
}

export interface BooleanVariable<T extends boolean | undefined> extends Variable<T> {
  readonly kind: 'boolean';
}

export interface OneOfVariable<T extends string | undefined> extends Variable<T> {
  readonly kind: 'one-of';
  readonly values: readonly string[];
}

/** A comma-separated list; blank entries are skipped. */
export interface ListVariable extends Variable<string[]> {
  readonly kind: 'list';
  readonly item: TextFormat;
}

/** A value with a syntax of its own (API keys, JSON), parsed by the function the table names. */
export interface StructuredVariable<T> extends Variable<T> {
  readonly kind: 'structured';
  /** Markdown for the docs' "allowed" column. */
  readonly syntax: string;
}

export type ConfigVariable =
  | IntegerVariable
  | TextVariable<string | undefined>
  | BooleanVariable<boolean | undefined>
  | OneOfVariable<string | undefined>
  | ListVariable
  | StructuredVariable<unknown>;

const isUnset = (raw: string | undefined): raw is undefined | '' => raw === undefined || raw === '';

/** Reads `raw`, or `defaultText` when unset: the default goes through the same checks. */
function withDefault<T>(defaultText: string, parse: (raw: string, name: string) => T) {
  return (raw: string | undefined, name: string): T => parse(isUnset(raw) ? defaultText : raw, name);
}

function withoutDefault<T>(parse: (raw: string, name: string) => T) {
  return (raw: string | undefined, name: string): T | undefined => (isUnset(raw) ? undefined : parse(raw, name));
}

export function integer(
  spec: Described & { default: number; min: number; max: number; unit?: IntegerUnit },
): IntegerVariable {
  const { default: fallback, ...rest } = spec;
  const parse = (raw: string, name: string): number => {
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
    const value = Number(raw);
    if (value < spec.min || value > spec.max) {
      throw new ConfigError(name, `must be between ${spec.min} and ${spec.max}, got ${value}`);
    }
    return value;
  };
  return { kind: 'integer', ...rest, defaultText: String(fallback), value: withDefault(String(fallback), parse) };
}

function textParser(format: TextFormat | undefined) {
  return (raw: string, name: string): string => {
    if (format !== undefined && !format.pattern.test(raw)) throw new ConfigError(name, format.problem(raw));
    return raw;
  };
}

export function text(spec: Described & { default: string; format?: TextFormat }): TextVariable<string>;
export function text(
  spec: Described & { format?: TextFormat; derivedDefault?: string },
): TextVariable<string | undefined>;
export function text(
  spec: Described & { default?: string; format?: TextFormat; derivedDefault?: string },
): TextVariable<string | undefined> {
  const { default: fallback, ...rest } = spec;
  const parse = textParser(spec.format);
  return {
    kind: 'text',
    ...rest,
    defaultText: fallback,
    value: fallback === undefined ? withoutDefault(parse) : withDefault(fallback, parse),
  };
}

/** `true`/`1` and `false`/`0`, nothing else: a typo must not silently mean false. */
function parseBoolean(raw: string, name: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(raw)}`);
}

export function boolean(spec: Described & { default: boolean }): BooleanVariable<boolean>;
export function boolean(spec: Described & { derivedDefault: string }): BooleanVariable<boolean | undefined>;
export function boolean(
  spec: Described & { default?: boolean; derivedDefault?: string },
): BooleanVariable<boolean | undefined> {
  const { default: fallback, ...rest } = spec;
  const defaultText = fallback === undefined ? undefined : String(fallback);
  return {
    kind: 'boolean',
    ...rest,
    defaultText,
    value: defaultText === undefined ? withoutDefault(parseBoolean) : withDefault(defaultText, parseBoolean),
  };
}

export function oneOf<const T extends string>(spec: Described & { values: readonly T[]; default: T }): OneOfVariable<T>;
export function oneOf<const T extends string>(spec: Described & { values: readonly T[] }): OneOfVariable<T | undefined>;
export function oneOf<const T extends string>(
  spec: Described & { values: readonly T[]; default?: T },
): OneOfVariable<T | undefined> {
  const { default: fallback, ...rest } = spec;
  const parse = (raw: string, name: string): T => {
    const value = spec.values.find((allowed) => allowed === raw);
    if (value === undefined) {
      throw new ConfigError(name, `must be one of ${spec.values.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  return {
    kind: 'one-of',
    ...rest,
    defaultText: fallback,
    value: fallback === undefined ? withoutDefault(parse) : withDefault(fallback, parse),
  };
}

export function list(spec: Described & { default: readonly string[]; item: TextFormat }): ListVariable {
  const { default: fallback, ...rest } = spec;
  const parse = (raw: string, name: string): string[] => {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    for (const item of items) if (!spec.item.pattern.test(item)) throw new ConfigError(name, spec.item.problem(item));
    return items;
  };
  const defaultText = fallback.join(',');
  return { kind: 'list', ...rest, defaultText, value: withDefault(defaultText, parse) };
}

export function structured<T>(
  spec: Described & { default: string; syntax: string; parse: (raw: string, name: string) => T },
): StructuredVariable<T> {
  const { default: fallback, parse, ...rest } = spec;
  return { kind: 'structured', ...rest, defaultText: fallback, value: withDefault(fallback, parse) };
}
