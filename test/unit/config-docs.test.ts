import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_TABLE_END,
  CONFIG_TABLE_START,
  REGENERATE_CONFIG_TABLE,
  renderConfigTable,
  replaceConfigTable,
} from '../../infra/scripts/config-table.js';
import { boolean, integer, list, oneOf, structured, text } from '../../shared/platform/config-kinds.js';
import { configVariables } from '../../shared/platform/config-variables.js';

const configurationDoc = new URL('../../docs/configuration.md', import.meta.url);

/** The data rows of a rendered table, keyed by variable, split into cells. */
function rows(table: string): Map<string, string[]> {
  const cells = table
    .trim()
    .split('\n')
    .slice(2)
    .map((line) => line.slice(2, -2).split(/(?<!\\) \| /));
  return new Map(cells.map((row) => [row[0] ?? '', row.slice(1)]));
}

describe('docs/configuration.md', () => {
  it('holds the table generated from the configuration variables', () => {
    const current = readFileSync(configurationDoc, 'utf8');

    expect(
      current,
      `docs/configuration.md's table differs from shared/platform/config-variables.ts: run \`${REGENERATE_CONFIG_TABLE}\``,
    ).toBe(replaceConfigTable(current, renderConfigTable(configVariables)));
  });
});

describe('renderConfigTable', () => {
  it('gives each variable a row of default, allowed values and meaning, in table order', () => {
    const table = renderConfigTable({
      B_LEVEL: oneOf({ values: ['low', 'high'], default: 'low', doc: 'how loud' }),
      A_SSL: boolean({ default: false, doc: 'TLS' }),
    });

    expect(table).toBe(
      [
        '| variable | default | allowed values | meaning |',
        '|---|---|---|---|',
        '| `B_LEVEL` | `low` | `low`, `high` | how loud |',
        '| `A_SSL` | `false` | `true`, `false`, `1`, `0` | TLS |',
        '',
      ].join('\n'),
    );
  });

  it('writes integers with a unit in that unit too', () => {
    const table = rows(
      renderConfigTable({
        SIZE: integer({ default: 16 * 1024 * 1024, min: 64, max: 1024 ** 3, unit: 'bytes', doc: 'size' }),
        WINDOW: integer({ default: 31 * 86_400, min: 60, max: 90 * 86_400, unit: 'seconds', doc: 'window' }),
        ODD: integer({ default: 25_000, min: 100, max: 600_000, unit: 'milliseconds', doc: 'timeout' }),
        COUNT: integer({ default: 20, min: 1, max: 1000, doc: 'count' }),
      }),
    );

    expect([...table.values()].map(([fallback, allowed]) => [fallback, allowed])).toEqual([
      ['`16777216` (16 MiB)', '64–1073741824 (64 B–1 GiB)'],
      ['`2678400` (31 d)', '60–7776000 (1 min–90 d)'],
      ['`25000` (25 s)', '100–600000 (100 ms–10 min)'],
      ['`20`', '1–1000'],
    ]);
  });

  it('says how an unset variable without a default is read, and what AWS stages set', () => {
    const table = rows(
      renderConfigTable({
        ENDPOINT: text({ doc: 'endpoint' }),
        PATH_STYLE: boolean({ derivedDefault: '`true` when `ENDPOINT` is set', doc: 'path style' }),
        PASSWORD: text({ default: '', doc: 'password' }),
        BUCKET: text({ default: 'raw', onAws: 'the `bucket` param', doc: 'bucket' }),
      }),
    );

    expect([...table.values()].map(([fallback]) => fallback)).toEqual([
      'unset',
      '`true` when `ENDPOINT` is set',
      'empty',
      '`raw`; on AWS the `bucket` param',
    ]);
  });

  it('describes lists and structured values by their syntax', () => {
    const hostPort = { pattern: /^\S+:\d+$/, allowed: '`host:port`', problem: () => 'must be host:port' };
    const table = rows(
      renderConfigTable({
        BROKERS: list({ default: ['a:1', 'b:2'], item: hostPort, doc: 'brokers' }),
        MAPPING: structured({
          default: '{}',
          syntax: 'JSON object',
          parse: (raw) => JSON.parse(raw) as unknown,
          doc: 'mapping',
        }),
      }),
    );

    expect([...table.values()].map(([fallback, allowed]) => [fallback, allowed])).toEqual([
      ['`a:1,b:2`', 'comma-separated `host:port`'],
      ['`{}`', 'JSON object'],
    ]);
  });

  it('escapes a pipe, which would end the cell', () => {
    const table = renderConfigTable({ MODE: text({ default: 'a|b', doc: 'either a|b' }) });

    expect(table.split('\n')[2]).toBe('| `MODE` | `a\\|b` | any text | either a\\|b |');
  });
});

describe('replaceConfigTable', () => {
  it('rewrites the text between the markers and keeps the prose around them', () => {
    const doc = `# Title\n\nprose\n\n${CONFIG_TABLE_START}\n| old |\n${CONFIG_TABLE_END}\n\nmore prose\n`;

    expect(replaceConfigTable(doc, '| new |\n')).toBe(
      `# Title\n\nprose\n\n${CONFIG_TABLE_START}\n| new |\n${CONFIG_TABLE_END}\n\nmore prose\n`,
    );
  });

  it.each([
    ['no markers', '# Title\n'],
    ['no end marker', `${CONFIG_TABLE_START}\n`],
    ['the markers in the wrong order', `${CONFIG_TABLE_END}\n${CONFIG_TABLE_START}\n`],
  ])('refuses a document with %s', (_case, doc) => {
    expect(() => replaceConfigTable(doc, '| new |\n')).toThrow(/config-table:start/);
  });
});
