import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { waitUntil } from './services.js';

/**
 * Waits until this run's consumer group (global-setup.ts) has committed every record published
 * to `topic` before the call. A duplicate delivery writes nothing a query could wait for; once
 * the group is past it, it was handled, and what the queries answer then is final.
 */
export async function waitForConsumerToCatchUp(topic?: string, timeoutMs = 90_000): Promise<void> {
  const env = inject('appEnv');
  // This run's profiles topic (global-setup.ts names the topics after the run).
  const watched = topic ?? env.HOTSPOTS_PROFILES_TOPIC ?? 'hotspots.profiles';
  const groupId = env.HOTSPOTS_CONSUMER_GROUP ?? '';
  const kafka = new Kafka({
    brokers: [env.HOTSPOTS_KAFKA_BROKERS ?? ''],
    clientId: 'consumer-progress',
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(watched);
    await waitUntil(
      `consumer group ${groupId} to commit every record of ${watched} published so far`,
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [watched] });
        const behind = ends.filter((end) => {
          const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          return BigInt(end.high) > BigInt(end.low) && BigInt(at) < BigInt(end.high);
        });
        return behind.length === 0 ? true : undefined;
      },
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}
