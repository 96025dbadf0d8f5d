import { type BatchOutcome, writeBatchMetrics } from '../platform/batch-metrics.js';
import { consumeRecords } from '../platform/consume-records.js';
import { deadLetterSinkOf } from '../platform/dead-letters.js';
import { HotspotsError, unprocessable } from '../platform/errors.js';
import type { KafkaEventRecord } from '../platform/kafka-event.js';
import type { Logger } from '../platform/logger.js';
import type { EnvelopePublisher, RawPayloadStore, SqlDatabase } from '../platform/ports.js';
import type { RetryBudget } from '../platform/retry-budget.js';
import { parseSpanEnvelope, type SpanEnvelope } from './envelope.js';
import { type DecodedPayload, decodeSpanPayload, sourceOf } from './payload.js';
import { partitionOf, type SpanLimits, type SpanRow, spanRow } from './span.js';

/**
 * The spans consumer: for each Kafka record, parse the envelope, fetch the raw body, decode it
 * with the intake's decoder, and insert one `spans` row per span.
 *
 * Idempotency: `spans` is a ReplacingMergeTree sorted by (tenant, trace_id, span_id) with
 * `ingested_ns` = the batch's receive time as version, so a redelivered batch writes rows identical
 * to the first ones, which merges collapse. Until a merge runs both copies exist: readers must use
 * `LIMIT 1 BY span_id` (or FINAL) — with that, redelivery and a retried half-inserted batch change
 * nothing a query sees.
 *
 * Failures: a record that can never succeed (bad envelope, missing object, undecodable body) is
 * written under `<dead-letter prefix>spans/…` with its reason and the batch goes on; a transient
 * one (S3, ClickHouse) is thrown so that the whole batch is retried uncommitted. Each batch,
 * retried or not, ends with one metrics line (shared/platform/batch-metrics.ts).
 */
export interface ProcessSpansDeps {
  /** Retries left for records failing with unclassified errors (absent: retried for ever). */
  retryBudget?: RetryBudget | undefined;
  rawStore: RawPayloadStore;
  db: SqlDatabase;
  logger: Logger;
  limits: SpanLimits & { maxDecompressedBytes: number };
  deadLetterPrefix: string;
  /** Where dead letters are published besides S3 (the dead-letter topic). */
  deadLetterTopic?: { publisher: EnvelopePublisher; name: string };
  /** Rows per INSERT; bounds one request to ClickHouse. */
  insertChunkRows?: number;
  now?: () => Date;
}

export interface SpanBatchSummary {
  processed: number;
  dead_lettered: number;
  spans: number;
}

const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function decode(raw: Uint8Array, envelope: SpanEnvelope, limits: ProcessSpansDeps['limits']): DecodedPayload {
  try {
    return decodeSpanPayload(raw, envelope.format, envelope.encoding, limits);
  } catch (error) {
    // Whatever the decoder throws, the stored bytes will never decode: poison, not a retry.
    const reason = error instanceof HotspotsError ? error.message : `decoder failed: ${(error as Error)?.message}`;
    throw unprocessable(`stored ${envelope.format} body cannot be decoded: ${reason}`, error);
  }
}

/** Builds the rows of one batch: every row carries the batch receive time as its version. */
export function spanRowsOf(envelope: SpanEnvelope, decoded: DecodedPayload): SpanRow[] {
  const ingestedNs = BigInt(Date.parse(envelope.received_at)) * 1_000_000n;
  const source = sourceOf[envelope.format];
  return decoded.spans.map((span) => spanRow(envelope.tenant, span, source, ingestedNs));
}

export async function processSpanBatch(deps: ProcessSpansDeps, envelope: SpanEnvelope): Promise<number> {
  if (!tenantPattern.test(envelope.tenant)) throw unprocessable('span envelope tenant is not a valid tenant name');
  const raw = await deps.rawStore.get(envelope.s3.key);
  const rows = spanRowsOf(envelope, decode(raw, envelope, deps.limits));
  // One INSERT per month: a block touching many partitions is refused by ClickHouse
  // (max_partitions_per_insert_block), which would look transient and be retried forever.
  const byPartition = new Map<number, SpanRow[]>();
  for (const row of rows) {
    const partition = partitionOf(row);
    const group = byPartition.get(partition);
    if (group) group.push(row);
    else byPartition.set(partition, [row]);
  }
  const chunk = deps.insertChunkRows ?? 50_000;
  for (const group of byPartition.values()) {
    for (let i = 0; i < group.length; i += chunk) await deps.db.insert('spans', group.slice(i, i + chunk));
  }
  return rows.length;
}

export async function processSpanRecords(
  deps: ProcessSpansDeps,
  records: readonly KafkaEventRecord[],
): Promise<SpanBatchSummary> {
  const started = performance.now();
  const summary: SpanBatchSummary = { processed: 0, dead_lettered: 0, spans: 0 };
  const deadLettered = new Map<string, number>();
  let outcome: BatchOutcome = 'retried';
  try {
    await processBatch(deps, records, summary, deadLettered);
    outcome = 'completed';
    return summary;
  } finally {
    writeBatchMetrics(deps.logger, {
      consumer: 'spans',
      outcome,
      endedAt: deps.now?.() ?? new Date(),
      durationMs: performance.now() - started,
      processed: summary.processed,
      deadLettered,
      metrics: [{ name: 'SpansWritten', unit: 'Count', value: summary.spans }],
    });
  }
}

async function processBatch(
  deps: ProcessSpansDeps,
  records: readonly KafkaEventRecord[],
  summary: SpanBatchSummary,
  deadLetteredByReason: Map<string, number>,
): Promise<void> {
  const { deadLettered } = await consumeRecords(
    { logger: deps.logger, retryBudget: deps.retryBudget, ...deadLetterSinkOf(deps) },
    records,
    {
      source: 'spans',
      parse: parseSpanEnvelope,
      identify: (envelope) => ({ tenant: envelope.tenant, id: envelope.batch_id }),
      async handle(envelope, log) {
        const count = await processSpanBatch(deps, envelope);
        summary.processed += 1;
        summary.spans += count;
        log.info('span batch stored', { tenant: envelope.tenant, batch_id: envelope.batch_id, spans: count });
      },
      onDeadLetter({ reason }) {
        deadLetteredByReason.set(reason.code, (deadLetteredByReason.get(reason.code) ?? 0) + 1);
      },
    },
  );
  summary.dead_lettered = deadLettered;
}
