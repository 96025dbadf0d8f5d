/**
 * docs/configuration.md's table of variables, rendered from the table loadConfig reads
 * (shared/platform/config-variables.ts). Pure: infra/scripts/config-docs.ts writes the file, and a
 * unit test fails when the file's table is not what this renders.
 */
import type { ConfigVariable, IntegerUnit } from '../../shared/platform/config-kinds.js';

export const CONFIG_TABLE_START = '<!-- config-table:start -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';
export const REGENERATE_CONFIG_TABLE = 'npm run docs:config';

/** Units larger than the base one, largest first. */
const units: Record<IntegerUnit, { base: string; larger: readonly (readonly [number, string])[] }> = {
  bytes: {
    base: 'B',
    larger: [
      [1024 ** 3, 'GiB'],
      [1024 ** 2, 'MiB'],
      [1024, 'KiB'],
    ],
  },
  seconds: {
    base: 's',
    larger: [
      [86_400, 'd'],
      [3600, 'h'],
      [60, 'min'],
    ],
  },
  milliseconds: {
    base: 'ms',
    larger: [
      [3_600_000, 'h'],
      [60_000, 'min'],
      [1000, 's'],
    ],
  },
};

/** `n` in the largest unit that divides it exactly, and whether that unit is larger than the base one. */
function inUnit(n: number, unit: IntegerUnit): { text: string; scaled: boolean } {
  const { base, larger } = units[unit];
  const step = larger.find(([size]) => n >= size && n % size === 0);
  return step === undefined
    ? { text: `${n} ${base}`, scaled: false }
    : { text: `${n / step[0]} ${step[1]}`, scaled: true };
}

const code = (text: string) => `\`${text}\``;

function defaultCell(variable: ConfigVariable): string {
  let cell: string;
  if (variable.defaultText === undefined) cell = variable.derivedDefault ?? 'unset';
  else if (variable.defaultText === '') cell = 'empty';
  else cell = code(variable.defaultText);
  if (variable.kind === 'integer' && variable.unit !== undefined) {
    const human = inUnit(Number(variable.defaultText), variable.unit);
    if (human.scaled) cell += ` (${human.text})`;
  }
  return variable.onAws === undefined ? cell : `${cell}; on AWS ${variable.onAws}`;
}

function allowedCell(variable: ConfigVariable): string {
  switch (variable.kind) {
    case 'integer': {
      const range = `${variable.min}–${variable.max}`;
      if (variable.unit === undefined) return range;
      return `${range} (${inUnit(variable.min, variable.unit).text}–${inUnit(variable.max, variable.unit).text})`;
    }
    case 'text':
      return variable.format?.allowed ?? 'any text';
    case 'boolean':
      return '`true`, `false`, `1`, `0`';
    case 'one-of':
      return variable.values.map(code).join(', ');
    case 'list':
      return `comma-separated ${variable.item.allowed}`;
    case 'structured':
      return variable.syntax;
  }
}

/** A pipe would end the cell early, even inside a code span (GitHub Flavored Markdown). */
const cellText = (text: string) => text.replaceAll('|', '\\|');

export function renderConfigTable(variables: Readonly<Record<string, ConfigVariable>>): string {
  const rows = Object.entries(variables).map(([name, variable]) =>
    [code(name), defaultCell(variable), allowedCell(variable), variable.doc].map(cellText).join(' | '),
  );
  return ['| variable | default | allowed values | meaning |', '|---|---|---|---|', ...rows.map((row) => `| ${row} |`)]
    .map((line) => `${line}\n`)
    .join('');
}

/** `markdown` with the text between the table markers replaced by `table`; the prose around them is kept. */
export function replaceConfigTable(markdown: string, table: string): string {
  const start = markdown.indexOf(CONFIG_TABLE_START);
  const end = markdown.indexOf(CONFIG_TABLE_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`expected the lines ${CONFIG_TABLE_START} and ${CONFIG_TABLE_END}, in this order`);
  }
  return `${markdown.slice(0, start)}${CONFIG_TABLE_START}\n${table}${markdown.slice(end)}`;
}
