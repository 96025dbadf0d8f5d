import type { Kafka, Producer } from 'kafkajs';
import { unavailable } from '../../errors.js';
import type { EnvelopePublisher } from '../../ports.js';

/**
 * Publishes envelopes with acks from all in-sync replicas, so a 202 means Kafka holds the
 * envelope. The producer connects lazily and once per cold start.
 *
 * Every publish has a deadline (`publishTimeoutMs`, connection included). A broker that accepts
 * TCP connections but never answers (paused, partitioned, overloaded) would otherwise hold an
 * upload for kafkajs' retries × requestTimeout — past API Gateway's 29 s, and measured to leave a
 * warm producer wedged after the Lambda timeout. Past the deadline the upload fails with a
 * retriable error (503) and the producer is dropped, so the next publish starts on a fresh one.
 */
export interface EnvelopePublisherOptions {
  publishTimeoutMs?: number;
}

export function createKafkaEnvelopePublisher(
  kafka: Kafka,
  options: EnvelopePublisherOptions = {},
): EnvelopePublisher & { disconnect(): Promise<void> } {
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  const deadlineMs = options.publishTimeoutMs ?? 10_000;

  const connected = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const created = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
      try {
        await created.connect();
      } catch (error) {
        connecting = undefined;
        throw error;
      }
      producer = created;
      return created;
    })();
    return connecting;
  };

  /** Forgets the current producer (the next publish connects anew) and closes it in the background. */
  const recycle = (stale: Promise<Producer> | undefined) => {
    producer = undefined;
    connecting = undefined;
    void stale?.then((p) => p.disconnect()).catch(() => undefined);
  };

  return {
    async publish(topic, key, value) {
      const attempt = connected();
      const timedOut = new Error(`no answer within ${deadlineMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timedOut), deadlineMs);
      });
      try {
        await Promise.race([attempt.then((p) => p.send({ topic, acks: -1, messages: [{ key, value }] })), deadline]);
      } catch (error) {
        if (error === timedOut) recycle(attempt);
        throw unavailable(`publishing to Kafka topic ${topic} failed: ${(error as Error).message}`, error);
      } finally {
        clearTimeout(timer);
      }
    },
    async ping() {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.describeCluster();
      } catch (error) {
        throw unavailable(`Kafka is not reachable: ${(error as Error).message}`, error);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    async disconnect() {
      const p = producer;
      producer = undefined;
      connecting = undefined;
      await p?.disconnect();
    },
  };
}
