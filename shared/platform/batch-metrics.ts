import type { DeadLetterSource } from './dead-letters.js';
import type { Logger } from './logger.js';
import { type Metric, type MetricSet, writeMetrics } from './metrics.js';

/**
 * The metrics line a consumer writes once per Kafka batch (docs/operations.md#metrics). Both
 * consumers measure records processed, dead letters by reason and the batch's duration; each adds
 * its own metrics.
 *
 * A batch that throws is retried whole by Lambda, so it still writes its line, with what it
 * measured before the failure and `Outcome` = `retried`. Outcome is a dimension so that the counts
 * of `completed` batches are the records that went through, and those of `retried` attempts the
 * work a retry does again.
 */
export type BatchOutcome = 'completed' | 'retried';

export interface BatchMeasurement {
  consumer: DeadLetterSource;
  outcome: BatchOutcome;
  /** When the batch ended: the metrics' timestamp. */
  endedAt: Date;
  durationMs: number;
  processed: number;
  /** Dead letters written, by reason code (shared/platform/errors.ts' ErrorCode: a small fixed set). */
  deadLettered: ReadonlyMap<string, number>;
  /** The consumer's own metrics. */
  metrics: readonly Metric[];
}

/** `not_found` → `DeadLetteredNotFound`: one metric per reason, since one line holds one value per dimension. */
export function deadLetteredMetricName(code: string): string {
  const words = code.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  return `DeadLettered${words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('')}`;
}

export function batchMetrics(batch: BatchMeasurement): MetricSet {
  let deadLettered = 0;
  const byReason: Metric[] = [];
  for (const [code, count] of batch.deadLettered) {
    deadLettered += count;
    byReason.push({ name: deadLetteredMetricName(code), unit: 'Count', value: count });
  }
  return {
    timestamp: batch.endedAt,
    dimensions: { Consumer: batch.consumer, Outcome: batch.outcome },
    metrics: [
      { name: 'RecordsProcessed', unit: 'Count', value: batch.processed },
      { name: 'DeadLettered', unit: 'Count', value: deadLettered },
      ...byReason,
      ...batch.metrics,
      { name: 'BatchDuration', unit: 'Milliseconds', value: batch.durationMs },
    ],
  };
}

export function writeBatchMetrics(logger: Logger, batch: BatchMeasurement): void {
  writeMetrics(logger, `${batch.consumer} batch metrics`, batchMetrics(batch));
}
