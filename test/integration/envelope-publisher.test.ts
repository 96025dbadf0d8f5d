import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../shared/platform/adapters/kafka/client.js';
import { createKafkaEnvelopePublisher } from '../../shared/platform/adapters/kafka/envelope-publisher.js';
import { HotspotsError, httpErrorOf } from '../../shared/platform/errors.js';
import { createLogger } from '../../shared/platform/logger.js';
import { testConfig } from '../support/services.js';

/**
 * The envelope publisher against the real broker (max.message.bytes at its 1 MB default): a
 * message the broker refuses for its size is a permanent 413 naming the reason, not a 503 the
 * uploader would retry for ever, and the (idempotent) producer goes on publishing afterwards.
 */
const config = testConfig();
const topic = `${config.kafka.profilesTopic}.publisher-probe`;
let kafka: Kafka;
let publisher: ReturnType<typeof createKafkaEnvelopePublisher>;

async function messagesIn(name: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(name);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  kafka = createKafka(config.kafka, createLogger('error'));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  publisher = createKafkaEnvelopePublisher(kafka, { publishTimeoutMs: 10_000 });
});

afterAll(async () => {
  await publisher.disconnect();
});

describe('the Kafka envelope publisher', () => {
  it('refuses a message above the broker’s max.message.bytes with a permanent 413 naming the reason', async () => {
    const before = await messagesIn(topic);

    const error = await publisher.publish(topic, 'big', Buffer.alloc(1_200_000, 0x61)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(HotspotsError);
    expect([(error as HotspotsError).retriable, httpErrorOf(error)]).toEqual([
      false,
      {
        status: 413,
        code: 'payload_too_large',
        message: expect.stringMatching(/1200000 bytes, larger than the broker accepts \(max\.message\.bytes\)/),
      },
    ]);
    expect(await messagesIn(topic)).toBe(before);
  });

  it('goes on publishing after such a refusal', async () => {
    const before = await messagesIn(topic);
    await publisher.publish(topic, 'big', Buffer.alloc(1_200_000, 0x61)).catch(() => undefined);

    await publisher.publish(topic, 'small', Buffer.from('{}'));
    await publisher.publish(topic, 'small', Buffer.from('{}'));

    expect(await messagesIn(topic)).toBe(before + 2);
  });
});
