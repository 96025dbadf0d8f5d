import {
  type ClusterTarget,
  clusterMigrationsTableStatement,
  clusterStatements,
  createClusterDatabaseStatement,
} from './cluster-schema.js';
import type { SqlDatabase } from './ports.js';
import { adaptStatement, currentServer, type ServerFeatures, serverFeatures } from './schema-features.js';
import { Sql, sql } from './sql.js';

/**
 * Applies ClickHouse migrations in name order, each once. Statements are trusted files from
 * infra/clickhouse/migrations (not user input), split on `;` at line ends. With a cluster target
 * (HOTSPOTS_CLICKHOUSE_CLUSTER), each statement is rewritten by shared/platform/cluster-schema.ts into its
 * ON CLUSTER, Replicated + Distributed form; the files themselves are the single-node schema.
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

export interface MigrateOptions {
  /** Apply the cluster form of every statement; absent = single node. */
  cluster?: ClusterTarget | undefined;
}

const byName = (migrations: readonly Migration[]) => [...migrations].sort((a, b) => a.name.localeCompare(b.name));

const singleNodeMigrationsTable =
  'CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime) ENGINE = MergeTree ORDER BY name';

/** The statements `migrate` runs for one migration file, on a server with `features`. */
export function migrationStatements(
  migration: Migration,
  cluster?: ClusterTarget,
  features: ServerFeatures = currentServer,
): string[] {
  const statements = splitStatements(migration.text).map((statement) => adaptStatement(statement, features));
  if (cluster === undefined) return statements;
  return statements.flatMap((statement) => clusterStatements(statement, cluster));
}

export async function migrate(
  db: SqlDatabase,
  migrations: readonly Migration[],
  options: MigrateOptions = {},
): Promise<string[]> {
  const { cluster } = options;
  await db.command(new Sql(cluster ? clusterMigrationsTableStatement(cluster) : singleNodeMigrationsTable));
  const done = new Set(
    (await db.query<{ name: string }>(new Sql('SELECT name FROM schema_migrations'))).map((row) => row.name),
  );
  const [server] = await db.query<{ version: string }>(new Sql('SELECT version() AS version'));
  const features = serverFeatures(server?.version ?? '');
  const applied: string[] = [];
  for (const migration of byName(migrations)) {
    if (done.has(migration.name)) continue;
    // Statements use IF NOT EXISTS, so a migration interrupted half-way can simply run again.
    for (const statement of migrationStatements(migration, cluster, features)) await db.command(new Sql(statement));
    await db.insert('schema_migrations', [{ name: migration.name, applied_at: Math.floor(Date.now() / 1000) }]);
    applied.push(migration.name);
  }
  return applied;
}

export const createDatabaseStatement = (database: Sql) => sql`CREATE DATABASE IF NOT EXISTS ${database}`;

/**
 * Everything the switch runs on a cluster, as one SQL text for reviewers
 * (infra/clickhouse/cluster/schema.sql is this output, checked by a unit test).
 */
export function renderClusterSchema(migrations: readonly Migration[], target: ClusterTarget): string {
  const sections = [
    [
      `-- Generated from infra/clickhouse/migrations by shared/platform/cluster-schema.ts for cluster \`${target.cluster}\` and`,
      `-- database \`${target.database}\`: what \`migrate\` runs when HOTSPOTS_CLICKHOUSE_CLUSTER is set. Do not edit;`,
      '-- regenerate with `node --import tsx infra/local/migrate-cli.ts --print-cluster-schema`.',
    ].join('\n'),
    `${createClusterDatabaseStatement(target)};\n\n${clusterMigrationsTableStatement(target)};`,
    ...byName(migrations).map(
      (migration) =>
        `-- ${migration.name}\n${migrationStatements(migration, target)
          .map((statement) => `${statement};`)
          .join('\n\n')}`,
    ),
  ];
  return `${sections.join('\n\n')}\n`;
}
