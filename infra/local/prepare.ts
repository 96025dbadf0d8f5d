import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { createClickHouseDatabase } from '../../shared/platform/adapters/clickhouse/database.js';
import { createClusterDatabaseStatement } from '../../shared/platform/cluster-schema.js';
import { type Config, loadConfig } from '../../shared/platform/config.js';
import { createDatabaseStatement, type Migration, migrate } from '../../shared/platform/migrations.js';
import { identifier, Sql } from '../../shared/platform/sql.js';
import { repoRoot } from './settings.js';

/** The single-node migration files, infra/clickhouse/migrations/*.sql. */
export function readMigrations(): Migration[] {
  const dir = join(repoRoot, 'infra', 'clickhouse', 'migrations');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

export interface MigrateClickHouseOptions {
  username?: string | undefined;
  password?: string | undefined;
  /** The migration switch (HOTSPOTS_CLICKHOUSE_CLUSTER): apply the cluster schema through this server. */
  cluster?: string | undefined;
}

/** Applies infra/clickhouse/migrations to `database` (created if missing). */
export async function migrateClickHouse(
  url: string,
  database: string,
  options: MigrateClickHouseOptions = {},
): Promise<string[]> {
  const credentials = { username: options.username ?? 'default', password: options.password ?? '' };
  const cluster = options.cluster === undefined ? undefined : { cluster: options.cluster, database };
  // ON CLUSTER DDL answers with one row per server, and the error of a failed server at the end:
  // wait_end_of_query makes the server buffer the answer, so that error is the HTTP status.
  const clickhouse_settings = cluster ? { wait_end_of_query: 1 as const } : {};
  const admin = createClient({ url, ...credentials, clickhouse_settings });
  try {
    await createClickHouseDatabase(admin).command(
      cluster ? new Sql(createClusterDatabaseStatement(cluster)) : createDatabaseStatement(identifier(database)),
    );
  } finally {
    await admin.close();
  }
  // Migrations may back-fill views over existing rows (POPULATE): allow them time.
  const client = createClient({ url, ...credentials, database, request_timeout: 600_000, clickhouse_settings });
  try {
    return await migrate(createClickHouseDatabase(client), readMigrations(), { cluster });
  } finally {
    await client.close();
  }
}

export interface TopicDefinition {
  name: string;
  partitions: number;
  configs?: Record<string, string>;
}

export type TopicNames = Pick<Config['kafka'], 'profilesTopic' | 'spansTopic' | 'deadLetterTopic'>;

/**
 * The topics of infra/kafka/topics.json, which names them by their defaults; given `names` (a
 * config's, e.g. a test run's own topics), the same topics under those names.
 */
export function topicDefinitions(names?: TopicNames): TopicDefinition[] {
  const topics = JSON.parse(readFileSync(join(repoRoot, 'infra', 'kafka', 'topics.json'), 'utf8')) as TopicDefinition[];
  if (names === undefined) return topics;
  const defaults = loadConfig({}).kafka;
  const renamed = new Map([
    [defaults.profilesTopic, names.profilesTopic],
    [defaults.spansTopic, names.spansTopic],
    [defaults.deadLetterTopic, names.deadLetterTopic],
  ]);
  return topics.map((topic) => ({ ...topic, name: renamed.get(topic.name) ?? topic.name }));
}

/** Creates the `topics` (by default those of infra/kafka/topics.json) that do not exist yet. */
export async function createTopics(
  brokers: string[],
  topics: TopicDefinition[] = topicDefinitions(),
): Promise<string[]> {
  const admin = new Kafka({ brokers, clientId: 'hotspots-setup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return missing.map((topic) => topic.name);
  } finally {
    await admin.disconnect();
  }
}
