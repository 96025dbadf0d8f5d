import type { SqlDatabase } from './ports.js';
import { Sql, sql } from './sql.js';

/**
 * Applies ClickHouse migrations in name order, each once. Statements are trusted files from
 * infra/clickhouse/migrations (not user input), split on `;` at line ends.
 */
export interface Migration {
  name: string;
  text: string;
}

export function splitStatements(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export async function migrate(db: SqlDatabase, migrations: readonly Migration[]): Promise<string[]> {
  await db.command(
    new Sql(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime) ENGINE = MergeTree ORDER BY name',
    ),
  );
  const done = new Set(
    (await db.query<{ name: string }>(new Sql('SELECT name FROM schema_migrations'))).map((row) => row.name),
  );
  const applied: string[] = [];
  for (const migration of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    if (done.has(migration.name)) continue;
    // Statements use IF NOT EXISTS, so a migration interrupted half-way can simply run again.
    for (const statement of splitStatements(migration.text)) await db.command(new Sql(statement));
    await db.insert('schema_migrations', [{ name: migration.name, applied_at: Math.floor(Date.now() / 1000) }]);
    applied.push(migration.name);
  }
  return applied;
}

export const createDatabaseStatement = (database: Sql) => sql`CREATE DATABASE IF NOT EXISTS ${database}`;
