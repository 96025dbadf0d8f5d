/**
 * Rewrites the table of docs/configuration.md from shared/platform/config-variables.ts:
 *
 *   npm run docs:config
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configVariables } from '../../shared/platform/config-variables.js';
import { renderConfigTable, replaceConfigTable } from './config-table.js';

const path = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));
const current = readFileSync(path, 'utf8');
const next = replaceConfigTable(current, renderConfigTable(configVariables));
if (next === current) {
  console.log('docs/configuration.md: the configuration table is up to date');
} else {
  writeFileSync(path, next);
  console.log('docs/configuration.md: configuration table rewritten from shared/platform/config-variables.ts');
}
