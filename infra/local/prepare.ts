import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { createClickHouseDatabase } from '../../shared/adapters/clickhouse/database.js';
import { createDatabaseStatement, migrate } from '../../shared/migrations.js';
import { identifier } from '../../shared/sql.js';
import { repoRoot } from './settings.js';

/** Applies infra/clickhouse/migrations to `database` (created if missing). */
export async function migrateClickHouse(url: string, database: string): Promise<string[]> {
  const admin = createClient({ url });
  try {
    await createClickHouseDatabase(admin).command(createDatabaseStatement(identifier(database)));
  } finally {
    await admin.close();
  }
  // Migrations may back-fill views over existing rows (POPULATE): allow them time.
  const client = createClient({ url, database, request_timeout: 600_000 });
  try {
    const dir = join(repoRoot, 'infra', 'clickhouse', 'migrations');
    const migrations = readdirSync(dir)
      .filter((name) => name.endsWith('.sql'))
      .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
    return await migrate(createClickHouseDatabase(client), migrations);
  } finally {
    await client.close();
  }
}

export interface TopicDefinition {
  name: string;
  partitions: number;
  configs?: Record<string, string>;
}

export function topicDefinitions(): TopicDefinition[] {
  return JSON.parse(readFileSync(join(repoRoot, 'infra', 'kafka', 'topics.json'), 'utf8')) as TopicDefinition[];
}

/** Creates the topics of infra/kafka/topics.json that do not exist yet. */
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
