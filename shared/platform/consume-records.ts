import {
  type DeadLetter,
  type DeadLetterSink,
  type DeadLetterSource,
  reasonOf,
  writeDeadLetter,
} from './dead-letters.js';
import { HotspotsError, internal, isRetriable } from './errors.js';
import type { KafkaEventRecord } from './kafka-event.js';
import type { Logger } from './logger.js';
import type { RetryBudget } from './retry-budget.js';

/**
 * The loop both consumers share. Lambda retries a failed Kafka batch whole, so each record is
 * sorted here: handled; poison (not retriable) → dead letter with its reason, and the batch goes
 * on; transient → thrown, so no offset is committed and the batch comes back — unless it is an
 * error nobody classified that has used up its retry budget (retry-budget.ts). Logs carry the
 * record's coordinates through a child logger, so context never leaks into the next record.
 */
export interface RecordHandling<E> {
  source: DeadLetterSource;
  /** Validates the envelope; throws a non-retriable error for poison. */
  parse(value: Buffer): E;
  /** Tenant and id recorded in the dead letter when the envelope parsed. */
  identify(envelope: E): { tenant: string; id: string };
  handle(envelope: E, log: Logger): Promise<void>;
  /** Told of each dead letter once it is written (the batch's metrics count them by reason). */
  onDeadLetter?(letter: DeadLetter): void;
  /** Told of each dead letter whose envelope parsed, after it is written (process-profiles.ts records it). */
  deadLettered?(envelope: E, letter: DeadLetter): void | Promise<void>;
  /** Runs after the last record (writes what handle() buffered); its failures fail the batch. */
  finish?(): Promise<void>;
}

export async function consumeRecords<E>(
  deps: DeadLetterSink & { logger: Logger; retryBudget?: RetryBudget | undefined },
  records: readonly KafkaEventRecord[],
  handling: RecordHandling<E>,
): Promise<{ deadLettered: number }> {
  let deadLettered = 0;
  for (const record of records) {
    const log = deps.logger.child({ topic: record.topic, partition: record.partition, offset: record.offset });
    let envelope: E | undefined;
    try {
      envelope = handling.parse(Buffer.from(record.value ?? '', 'base64'));
      await handling.handle(envelope, log);
    } catch (thrown) {
      let error = thrown;
      if (isRetriable(error)) {
        const unclassified = !(error instanceof HotspotsError);
        if (!unclassified || deps.retryBudget === undefined || deps.retryBudget.allowsRetry(record)) {
          log.warn('transient failure; the batch will be retried', { error: reasonOf(error) });
          throw error;
        }
        error = internal(
          `failed ${deps.retryBudget.attempts} times with an unexpected error: ${(error as Error)?.message ?? String(error)}`,
          error,
        );
      }
      const identity = envelope === undefined ? undefined : handling.identify(envelope);
      const letter = await writeDeadLetter(
        deps,
        handling.source,
        record,
        { envelope: envelope ?? null, tenant: identity?.tenant ?? null, id: identity?.id ?? null },
        error,
      );
      if (envelope !== undefined) await handling.deadLettered?.(envelope, letter);
      deadLettered += 1;
      handling.onDeadLetter?.(letter);
      log.warn(`${handling.source} record dead-lettered`, {
        error: letter.reason,
        id: identity?.id,
        key: letter.s3_key,
      });
    }
  }
  await handling.finish?.();
  return { deadLettered };
}
