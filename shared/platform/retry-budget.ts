import type { KafkaEventRecord } from './kafka-event.js';

/**
 * How often one record may fail with an error nobody classified (a bug, not an outage) before
 * the consumer dead-letters it and the partition moves on. An outage (`unavailable`) is retried
 * for as long as it lasts: it says nothing about the record. Lambda retries a failed batch on a
 * warm container most of the time, so a count kept by the container bounds the retries; a cold
 * start begins the count again, which bounds them less tightly but still bounds them.
 */
export interface RetryBudget {
  /** Counts a failure of `record`; true while it may be retried once more. */
  allowsRetry(record: KafkaEventRecord): boolean;
  /** Attempts a record gets. */
  readonly attempts: number;
}

export function createRetryBudget(attempts: number, maxTracked = 10_000): RetryBudget {
  const failures = new Map<string, number>();
  return {
    attempts,
    allowsRetry(record) {
      const key = `${record.topic}\u0000${record.partition}\u0000${record.offset}`;
      const count = (failures.get(key) ?? 0) + 1;
      failures.delete(key);
      // Insertion order makes the map a queue: the oldest failing records are forgotten first.
      if (failures.size >= maxTracked) failures.delete(failures.keys().next().value as string);
      if (count < attempts) failures.set(key, count);
      return count < attempts;
    },
  };
}
