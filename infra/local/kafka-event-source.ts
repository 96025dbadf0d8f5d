import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { KafkaEvent, KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import type { Logger } from '../../shared/platform/logger.js';

/**
 * Locally, this stands in for Lambda's Kafka event source mapping: a KafkaJS consumer group that
 * hands batches to the same handler, in exactly the event shape Lambda sends. Like Lambda, it
 * commits offsets only after the handler returns, and retries a failed batch whole (with backoff)
 * without committing: at-least-once delivery, made exactly-once in effect by the handler.
 */
export function toLambdaRecord(topic: string, partition: number, message: KafkaMessage): KafkaEventRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: 'CREATE_TIME',
    key: message.key ? message.key.toString('base64') : null,
    value: message.value ? message.value.toString('base64') : null,
    // kafkajs groups repeated keys into an array; Lambda lists each header on its own.
    headers: Object.entries(message.headers ?? {}).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((item) => ({
        [name]: [...(item === undefined ? Buffer.alloc(0) : Buffer.from(item))],
      })),
    ),
  };
}

export function toLambdaEvent(bootstrapServers: string, records: KafkaEventRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) {
    const key = `${record.topic}-${record.partition}`;
    grouped[key] = [...(grouped[key] ?? []), record];
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped };
}

export interface EventSourceOptions {
  kafka: Kafka;
  bootstrapServers: string;
  topic: string;
  groupId: string;
  batchSize: number;
  handler: (event: KafkaEvent) => Promise<unknown>;
  logger: Logger;
  maxBackoffMs?: number;
  /** Called when KafkaJS gives up on the consumer (a crash it will not restart from). */
  onFatalCrash?: (error: Error) => void;
}

export async function runKafkaEventSource(options: EventSourceOptions): Promise<Consumer> {
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    // A dead member holds its partitions this long, so keep it short; long batches heartbeat on a
    // timer instead (see eachBatch).
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    options.logger.error('consumer crashed and will not restart', { error: payload.error.message });
    options.onFatalCrash?.(payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      for (let i = 0; i < batch.messages.length; i += options.batchSize) {
        const messages = batch.messages.slice(i, i + options.batchSize);
        const records = messages.map((m) => toLambdaRecord(batch.topic, batch.partition, m));
        const event = toLambdaEvent(options.bootstrapServers, records);
        for (let attempt = 1; ; attempt += 1) {
          if (!isRunning() || isStale()) return;
          try {
            // A batch may run as long as the Lambda's timeout (300 s); without heartbeats meanwhile,
            // a batch of 2 MB profiles outlived the session and the member was evicted (measured).
            const beating = setInterval(() => heartbeat().catch(() => undefined), 3000);
            const result = await options.handler(event).finally(() => clearInterval(beating));
            options.logger.debug('batch handled', { partition: batch.partition, records: records.length, result });
            break;
          } catch (error) {
            const wait = Math.min(options.maxBackoffMs ?? 10_000, 200 * 2 ** Math.min(attempt, 10));
            options.logger.warn('batch failed; retrying without committing', {
              partition: batch.partition,
              first_offset: records[0]?.offset,
              attempt,
              retry_in_ms: wait,
              error: (error as Error).message,
            });
            await delay(wait);
            await heartbeat();
          }
        }
        const last = messages[messages.length - 1];
        if (last) {
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
          // Without it KafkaJS keeps fetching from where the member joined: every fetch re-delivered
          // all records since then (skipped as duplicates, but new ones waited behind them).
          resolveOffset(last.offset);
        }
        await heartbeat();
      }
    },
  });
  return consumer;
}
