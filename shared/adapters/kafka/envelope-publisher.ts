import type { Kafka, Producer } from 'kafkajs';
import { unavailable } from '../../errors.js';
import type { EnvelopePublisher } from '../../ports.js';

/**
 * Publishes envelopes with acks from all in-sync replicas, so a 202 means Kafka holds the
 * envelope. The producer connects lazily and once per cold start.
 */
export function createKafkaEnvelopePublisher(kafka: Kafka): EnvelopePublisher & { disconnect(): Promise<void> } {
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

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

  return {
    async publish(topic, key, value) {
      try {
        const p = await connected();
        await p.send({ topic, acks: -1, messages: [{ key, value }] });
      } catch (error) {
        throw unavailable(`publishing to Kafka topic ${topic} failed: ${(error as Error).message}`, error);
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
