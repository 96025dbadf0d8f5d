import { describe, expect, it } from 'vitest';
import { consumeRecords } from '../../shared/platform/consume-records.js';
import { unavailable } from '../../shared/platform/errors.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import { createLogger } from '../../shared/platform/logger.js';
import type { RawPayloadStore } from '../../shared/platform/ports.js';
import { createRetryBudget } from '../../shared/platform/retry-budget.js';

const record = (offset: number): KafkaEventRecord => ({
  topic: 'hotspots.profiles',
  partition: 0,
  offset,
  timestamp: 0,
  timestampType: 'CREATE_TIME',
  key: null,
  value: Buffer.from('{}').toString('base64'),
  headers: [],
});

describe('createRetryBudget', () => {
  it('allows a record attempts − 1 retries, counting each record apart', () => {
    const budget = createRetryBudget(3);

    const first = [budget.allowsRetry(record(1)), budget.allowsRetry(record(1)), budget.allowsRetry(record(1))];
    const other = budget.allowsRetry(record(2));

    expect([first, other]).toEqual([[true, true, false], true]);
  });

  it('forgets the oldest failing records past the number it tracks', () => {
    const budget = createRetryBudget(2, 2);
    budget.allowsRetry(record(1));
    budget.allowsRetry(record(2));
    budget.allowsRetry(record(3));

    expect([budget.allowsRetry(record(1)), budget.allowsRetry(record(3))]).toEqual([true, false]);
  });
});

describe('consumeRecords with a retry budget', () => {
  const objects = new Map<string, Uint8Array>();
  const rawStore: RawPayloadStore = {
    put: async (key, bytes) => {
      objects.set(key, bytes);
    },
    get: async (key) => objects.get(key) ?? new Uint8Array(0),
    ping: async () => {},
  };
  const deps = (budget = createRetryBudget(2)) => ({
    logger: createLogger('error'),
    rawStore,
    deadLetterPrefix: 'dead-letter/',
    retryBudget: budget,
  });
  const handling = (error: unknown) => ({
    source: 'profiles' as const,
    parse: () => ({}),
    identify: () => ({ tenant: 'acme', id: 'p-1' }),
    handle: async () => {
      throw error;
    },
  });

  it('retries a record failing with an unclassified error, then dead-letters it as internal', async () => {
    const sink = deps();
    const bug = new TypeError('cannot read properties of undefined');

    await expect(consumeRecords(sink, [record(7)], handling(bug))).rejects.toBe(bug);
    const second = await consumeRecords(sink, [record(7)], handling(bug));

    expect(second).toEqual({ deadLettered: 1 });
    const letter = JSON.parse(Buffer.from([...objects.values()].at(-1) ?? []).toString());
    expect(letter.reason).toEqual({
      code: 'internal',
      message: 'failed 2 times with an unexpected error: cannot read properties of undefined',
    });
  });

  it('retries an outage for as long as it lasts', async () => {
    const sink = deps();
    const outage = unavailable('ClickHouse is unreachable');

    for (let attempt = 0; attempt < 5; attempt++) {
      await expect(consumeRecords(sink, [record(8)], handling(outage))).rejects.toBe(outage);
    }
  });
});
