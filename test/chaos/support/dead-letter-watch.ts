import { randomUUID } from 'node:crypto';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import type { DeadLetter } from '../../../shared/platform/dead-letters.js';
import { waitUntil } from '../../support/services.js';

/**
 * Follows the dead-letter topic from its beginning with a consumer group of its own, so a test can
 * wait for the dead letter of one profile id. On a shared stack every consumer group that reads
 * the profiles topic writes its own copy of a dead letter: any copy will do.
 */
export interface DeadLetterWatch {
  waitFor(id: string, timeoutMs?: number): Promise<DeadLetter>;
  /** The first dead letter (any id, or none) that `match` accepts. */
  waitForMatch(what: string, match: (letter: DeadLetter) => boolean, timeoutMs?: number): Promise<DeadLetter>;
  has(id: string): boolean;
  stop(): Promise<void>;
}

export async function watchDeadLetters(brokers: string[], topic: string): Promise<DeadLetterWatch> {
  const kafka = new Kafka({ brokers, clientId: 'dead-letter-watch', logLevel: logLevel.NOTHING });
  const groupId = `dead-letter-watch-${randomUUID()}`;
  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const seen = new Map<string, DeadLetter>();
  const all: DeadLetter[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const letter = JSON.parse(message.value.toString('utf8')) as DeadLetter;
      all.push(letter);
      if (letter.id) seen.set(letter.id, letter);
    },
  });
  return {
    has: (id) => seen.has(id),
    waitFor: (id, timeoutMs = 90_000) =>
      waitUntil(`a dead letter for ${id} on ${topic}`, async () => seen.get(id), timeoutMs),
    waitForMatch: (what, match, timeoutMs = 90_000) =>
      waitUntil(`a dead letter on ${topic} for ${what}`, async () => all.find(match), timeoutMs),
    async stop() {
      await consumer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
