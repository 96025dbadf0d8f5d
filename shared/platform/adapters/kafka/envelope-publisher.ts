import type { Kafka, Producer } from 'kafkajs';
import { HotspotsError, unavailable } from '../../errors.js';
import type { EnvelopePublisher } from '../../ports.js';

/**
 * Publishes envelopes with acks from all in-sync replicas, so a 202 means Kafka holds the
 * envelope. The producer connects lazily and once per cold start.
 *
 * Every publish has a deadline (`publishTimeoutMs`, connection included). A broker that accepts
 * TCP connections but never answers (paused, partitioned, overloaded) would otherwise hold an
 * upload for kafkajs' retries × requestTimeout — past API Gateway's 29 s, and measured to leave a
 * warm producer wedged after the Lambda timeout. Past the deadline the upload fails with a
 * retriable error (503) and the producer is dropped, so the next publish starts on a fresh one. A
 * message the broker refuses for its size is a permanent error (413), not a retriable one.
 */
// What the broker answers to a message above its max.message.bytes (or a batch above its segment
// size): the same bytes are refused whatever the retry.
const tooLargeTypes: readonly string[] = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'];

/** Whether a kafkajs error, or one it wraps, is the broker refusing the message for its size. */
export function isMessageTooLarge(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { type, cause, originalError, errors } = error as {
    type?: unknown;
    cause?: unknown;
    originalError?: unknown;
    errors?: unknown;
  };
  if (typeof type === 'string' && tooLargeTypes.includes(type)) return true;
  if (Array.isArray(errors) && errors.some((e) => isMessageTooLarge(e, depth + 1))) return true;
  return isMessageTooLarge(cause, depth + 1) || isMessageTooLarge(originalError, depth + 1);
}

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
        if (isMessageTooLarge(error)) {
          // Permanent: answered 413 with the reason, never 503 + Retry-After (the agent would retry
          // for ever). The intakes keep envelopes small, so only metadata beyond every default limit
          // (e.g. HOTSPOTS_MAX_PROFILE_TAGS raised far) can get here.
          throw new HotspotsError(
            'payload_too_large',
            `the upload's metadata makes a Kafka message of ${value.length} bytes, larger than the broker accepts (max.message.bytes): send fewer or shorter tags`,
            { retriable: false, cause: error },
          );
        }
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
