import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { type RunningApp, startApp } from '../../../infra/local/app.js';
import { type ServiceName, startStack, stopStack } from '../../../infra/local/stack.js';
import type { Deps } from '../../../shared/app/deps.js';
import { sql } from '../../../shared/platform/sql.js';
import { testMaxBodyBytes } from '../../support/global-setup.js';
import { chaosConsumerGroup } from './chaos-stack.js';

/**
 * The functions on the chaos stack, started by each test file (serverless offline + the local
 * Kafka event source), and the controls the tests use: stop/start a service, kill the consumer.
 */
export async function startChaosApp(extraEnv: Record<string, string> = {}): Promise<RunningApp> {
  return startApp(inject('chaosSettings'), {
    extraEnv: {
      HOTSPOTS_CONSUMER_GROUP: chaosConsumerGroup,
      HOTSPOTS_MAX_BODY_BYTES: String(testMaxBodyBytes),
      ...extraEnv,
    },
  });
}

export async function stopServices(names: ServiceName[]): Promise<void> {
  await stopStack(inject('chaosSettings'), names);
}

/** Starts whatever of the chaos stack is not answering (the stopped services). */
export async function startServices(): Promise<ServiceName[]> {
  return startStack(inject('chaosSettings'));
}

/** SIGKILL, as a crashed Lambda container or an OOM kill: no shutdown hook, no offset commit. */
export async function killEventSource(app: RunningApp): Promise<void> {
  const child = app.eventSource;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

export function chaosKafka(deps: Deps): Kafka {
  return new Kafka({ brokers: deps.config.kafka.brokers, clientId: 'chaos-test', logLevel: logLevel.NOTHING });
}

/** Sum over partitions of the consumer group's committed offsets on `topic` (unset = 0). */
export async function committedOffsetSum(kafka: Kafka, topic: string, groupId = chaosConsumerGroup): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + (BigInt(p.offset) > 0n ? BigInt(p.offset) : 0n), 0n);
  } finally {
    await admin.disconnect();
  }
}

/** Sum over partitions of the topic's end offsets (records ever written). */
export async function endOffsetSum(kafka: Kafka, topic: string): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + BigInt(p.high), 0n);
  } finally {
    await admin.disconnect();
  }
}

export async function committedProfileCount(deps: Deps, tenant: string, service: string): Promise<number> {
  const rows = await deps.db.query<{ n: string }>(
    sql`SELECT count(DISTINCT profile_id) AS n FROM profiles WHERE tenant = ${tenant} AND service = ${service}`,
  );
  return Number(rows[0]?.n ?? 0);
}
