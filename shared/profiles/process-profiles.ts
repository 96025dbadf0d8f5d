import { randomUUID } from 'node:crypto';
import { type BatchOutcome, writeBatchMetrics } from '../platform/batch-metrics.js';
import { decompressBounded } from '../platform/compression.js';
import { consumeRecords } from '../platform/consume-records.js';
import { deadLetterSinkOf } from '../platform/dead-letters.js';
import { unprocessable } from '../platform/errors.js';
import type { KafkaEventRecord } from '../platform/kafka-event.js';
import type { LabelMapping } from '../platform/labels.js';
import type { Logger } from '../platform/logger.js';
import type { EnvelopePublisher, RawPayloadStore, SqlDatabase } from '../platform/ports.js';
import type { RetryBudget } from '../platform/retry-budget.js';
import { type Sql, sql, tuple } from '../platform/sql.js';
import type { DecodedBy, DecodedProfile, ExplodeLimits, ProfileDecoder } from '../pprof/index.js';
import { endpointCountsOf } from './endpoint-counts.js';
import { type ProfileEnvelope, parseEnvelope } from './envelope.js';
import { createIngestFailureLog } from './ingest-failures.js';
import { withStoredMeasures } from './measures.js';
import { createOtlpProfileReader } from './otlp/otlp-profile-reader.js';
import { profileDurationNs, withProfileStart } from './profile-window.js';
import { labelBytesWritten } from './rows/label-bytes.js';
import { OrderedInserts } from './rows/ordered-inserts.js';
import { createInsertedIds, type InsertedIds, ProfileBatchWriter } from './rows/profile-batch-writer.js';

/**
 * The consumer's use case. For each Kafka record: parse the envelope, fetch the raw profile,
 * decode and explode it; the rows of the whole batch go to ClickHouse in a few large inserts
 * (shared/profiles/rows/profile-batch-writer.ts), each profile's `profiles` row after its other rows.
 *
 * Lambda retries a failed Kafka batch whole, so this function sorts failures itself: a record
 * that can never succeed (bad envelope, corrupt pprof, missing object) goes to the dead-letter
 * prefix in S3 and to the dead-letter topic (shared/platform/dead-letters.ts) and the batch goes on; a
 * transient failure (S3 or ClickHouse down) is thrown so that no offset is committed and the
 * whole batch comes back. Records already committed are skipped, so the retry does not double
 * count. Each batch, retried or not, ends with one metrics line (shared/platform/batch-metrics.ts).
 */
export interface ProcessProfilesDeps {
  /** Retries left for records failing with unclassified errors (absent: retried for ever). */
  retryBudget?: RetryBudget | undefined;
  rawStore: RawPayloadStore;
  db: SqlDatabase;
  logger: Logger;
  limits: ExplodeLimits & { maxDecompressedBytes: number; maxLabelBytesPerProfile: number };
  labelMappingFor: (tenant: string) => LabelMapping;
  deadLetterPrefix: string;
  /** The dead-letter topic (every dead letter is also published there); absent = S3 copy only. */
  deadLetterTopic?: { publisher: EnvelopePublisher; name: string };
  /** Encoded bytes per INSERT; with one insert running and one waiting, memory stays near 3×. */
  insertChunkBytes?: number;
  /** Raw payloads fetched from S3 ahead of the one being decoded. */
  prefetch?: number;
  /**
   * Stack and frame ids already inserted by this process, kept across batches of a warm Lambda
   * (the composition root holds them); absent: a set for this batch alone.
   */
  insertedIds?: InsertedIds;
  /** The pprof engine (config's consumer.pprofDecoder chose which decoder reads first). */
  decoder: ProfileDecoder;
  now?: () => Date;
}

export type RecordOutcome = 'processed' | 'duplicate' | 'dead_lettered';

export interface BatchSummary {
  processed: number;
  duplicate: number;
  dead_lettered: number;
}

const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
const COMMITTED_CHECK_IDS = 2000;
const INSERTED_IDS_PER_BATCH = 1_000_000;

/** One query for the whole batch: which of these profiles are already committed. */
async function committedProfiles(
  db: SqlDatabase,
  ids: readonly { tenant: string; profile_id: string }[],
): Promise<Set<string>> {
  const committed = new Set<string>();
  const byTenant = new Map<string, string[]>();
  for (const { tenant, profile_id } of ids) byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), profile_id]);
  for (const [tenant, profileIds] of byTenant) {
    // ClickHouse refuses statements over max_query_size (256 KiB): a 10k-record batch of UUIDs
    // exceeded it (measured, npm run bench), so the ids go in slices.
    for (let i = 0; i < profileIds.length; i += COMMITTED_CHECK_IDS) {
      const slice = profileIds.slice(i, i + COMMITTED_CHECK_IDS);
      const rows = await db.query<{ profile_id: string }>(
        sql`SELECT DISTINCT profile_id FROM profiles WHERE tenant = ${tenant} AND profile_id IN ${tuple(slice)}`,
      );
      for (const row of rows) committed.add(`${tenant}\u0000${row.profile_id}`);
    }
  }
  return committed;
}

/** Starts S3 reads up to `window` records ahead, so fetching overlaps decoding and inserting. */
function prefetcher(store: RawPayloadStore, keys: readonly string[], window: number) {
  const started = new Map<string, Promise<Uint8Array>>();
  let next = 0;
  const start = (key: string) => {
    if (started.has(key)) return;
    const fetching = store.get(key);
    fetching.catch(() => {}); // surfaced when the record is handled
    started.set(key, fetching);
  };
  return (key: string): Promise<Uint8Array> => {
    const index = keys.indexOf(key, next);
    if (index >= 0) next = index + 1;
    for (let i = next; i < Math.min(keys.length, next + window); i++) start(keys[i] as string);
    start(key);
    const fetching = started.get(key) as Promise<Uint8Array>;
    started.delete(key);
    return fetching;
  };
}

function tryParse(record: KafkaEventRecord): ProfileEnvelope | undefined {
  try {
    return parseEnvelope(Buffer.from(record.value ?? '', 'base64'));
  } catch {
    return undefined; // dead-lettered with its reason when the loop reaches it
  }
}

// Tenants of envelopes written by hand or replayed are checked like configured ones (config.ts).
const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// ClickHouse DateTime is a UInt32 of seconds: 18.16 silently wraps values outside it (measured),
// and current versions clamp them, so a profile dated outside 1970–2106 is refused, not misfiled.
const MAX_DATETIME_SECONDS = 2 ** 32 - 1;

/** What a batch measured besides its summary, for its metrics line. */
interface BatchMeasures {
  deadLettered: Map<string, number>;
  decodedBy: Record<DecodedBy['decoder'], number>;
  /** Profiles WebAssembly left to JavaScript. */
  wasmLeft: number;
  decodeMs: number;
  insertMs: number;
  sampleRows: number;
}

/** The database with the time its RowBinary inserts take added up (they run behind decoding). */
function timingInserts(db: SqlDatabase, measures: BatchMeasures): SqlDatabase {
  return {
    query: <T>(statement: Sql) => db.query<T>(statement),
    insert: (table, rows) => db.insert(table, rows),
    async insertRowBinary(table, columns, rows) {
      const started = performance.now();
      try {
        await db.insertRowBinary(table, columns, rows);
      } finally {
        measures.insertMs += performance.now() - started;
      }
    },
    command: (statement) => db.command(statement),
    ping: () => db.ping(),
  };
}

export async function processProfileRecords(
  deps: ProcessProfilesDeps,
  records: readonly KafkaEventRecord[],
): Promise<BatchSummary> {
  const started = performance.now();
  const summary: BatchSummary = { processed: 0, duplicate: 0, dead_lettered: 0 };
  const measures: BatchMeasures = {
    deadLettered: new Map(),
    decodedBy: { wasm: 0, js: 0 },
    wasmLeft: 0,
    decodeMs: 0,
    insertMs: 0,
    sampleRows: 0,
  };
  let outcome: BatchOutcome = 'retried';
  try {
    await processBatch(deps, records, summary, measures);
    outcome = 'completed';
    return summary;
  } finally {
    writeBatchMetrics(deps.logger, {
      consumer: 'profiles',
      outcome,
      endedAt: deps.now?.() ?? new Date(),
      durationMs: performance.now() - started,
      processed: summary.processed,
      deadLettered: measures.deadLettered,
      metrics: [
        { name: 'Duplicates', unit: 'Count', value: summary.duplicate },
        { name: 'ProfilesDecodedByWasm', unit: 'Count', value: measures.decodedBy.wasm },
        { name: 'ProfilesDecodedByJs', unit: 'Count', value: measures.decodedBy.js },
        { name: 'ProfilesWasmLeft', unit: 'Count', value: measures.wasmLeft },
        { name: 'SampleRowsWritten', unit: 'Count', value: measures.sampleRows },
        { name: 'DecodeTime', unit: 'Milliseconds', value: measures.decodeMs },
        { name: 'InsertTime', unit: 'Milliseconds', value: measures.insertMs },
      ],
    });
  }
}

async function processBatch(
  deps: ProcessProfilesDeps,
  records: readonly KafkaEventRecord[],
  summary: BatchSummary,
  measures: BatchMeasures,
): Promise<void> {
  const envelopes = records.map(tryParse).filter((e): e is ProfileEnvelope => e !== undefined);
  const valid = envelopes.filter((e) => tenantPattern.test(e.tenant));
  const committed = await committedProfiles(deps.db, valid);
  const fetchRaw = prefetcher(
    deps.rawStore,
    // An OTLP request's profiles share one object: it is fetched once.
    [...new Set(valid.filter((e) => !committed.has(`${e.tenant}\u0000${e.profile_id}`)).map((e) => e.s3.key))],
    deps.prefetch ?? 4,
  );
  const chunkBytes = deps.insertChunkBytes ?? DEFAULT_CHUNK_BYTES;
  const writer = new ProfileBatchWriter(
    new OrderedInserts(timingInserts(deps.db, measures), chunkBytes),
    chunkBytes,
    deps.insertedIds ?? createInsertedIds(INSERTED_IDS_PER_BATCH),
  );
  const failures = createIngestFailureLog(deps.db);
  const otlpReader = createOtlpProfileReader(deps.limits);

  const { deadLettered } = await consumeRecords(
    { logger: deps.logger, retryBudget: deps.retryBudget, ...deadLetterSinkOf(deps) },
    records,
    {
      source: 'profiles',
      parse: parseEnvelope,
      identify: (envelope) => ({ tenant: envelope.tenant, id: envelope.profile_id }),
      async handle(envelope, log) {
        if (!tenantPattern.test(envelope.tenant)) throw unprocessable('envelope tenant is not a valid tenant name');
        const key = `${envelope.tenant}\u0000${envelope.profile_id}`;
        if (committed.has(key)) {
          summary.duplicate += 1;
          log.info('profile record handled', {
            outcome: 'duplicate',
            tenant: envelope.tenant,
            profile_id: envelope.profile_id,
          });
          return;
        }
        const otlp = envelope.otlp;
        const raw = otlp && otlpReader.holds(envelope.s3.key) ? undefined : await fetchRaw(envelope.s3.key);
        const ingestId = randomUUID();
        const decodeStarted = performance.now();
        let exploded: DecodedProfile;
        try {
          const data = raw && decompressBounded(raw, deps.limits.maxDecompressedBytes).data;
          const pprof = otlp ? otlpReader.pprofOf(envelope.s3.key, otlp, data) : (data as Uint8Array);
          const decoded = deps.decoder.decodeProfile(
            pprof,
            {
              tenant: envelope.tenant,
              service: envelope.service,
              env: envelope.env,
              version: envelope.version,
              profileId: envelope.profile_id,
              ingestId,
              fallbackStartSeconds: Math.floor(envelope.start ?? Date.parse(envelope.received_at) / 1000),
            },
            deps.labelMappingFor(envelope.tenant),
            deps.limits,
          );
          exploded = withProfileStart(withStoredMeasures(decoded), envelope);
        } finally {
          measures.decodeMs += performance.now() - decodeStarted;
        }
        measures.decodedBy[exploded.decodedBy.decoder] += 1;
        if (exploded.decodedBy.wasmLeft !== undefined) measures.wasmLeft += 1;
        const startSeconds = Number(exploded.startNs / 1_000_000_000n);
        if (exploded.startNs < 0n || startSeconds > MAX_DATETIME_SECONDS) {
          throw unprocessable(
            `profile time ${exploded.startNs} ns is outside the range ClickHouse can store (1970 to 2106)`,
          );
        }
        const labelBytes = labelBytesWritten(exploded.compact);
        if (labelBytes > deps.limits.maxLabelBytesPerProfile) {
          throw unprocessable(
            `profile would write ${labelBytes} bytes of label text (each sample row carries its labels), above the limit of ${deps.limits.maxLabelBytesPerProfile} (HOTSPOTS_MAX_LABEL_BYTES_PER_PROFILE)`,
          );
        }
        const endpointCounts = await endpointCountsOf(envelope, deps.rawStore);
        await writer.add({
          envelope,
          endpointCounts,
          ingestId,
          exploded: { ...exploded, durationNs: profileDurationNs(exploded, envelope) },
          startSeconds,
        });
        measures.sampleRows += exploded.compact.rowCount;
        // A later copy of the same profile in this batch is a duplicate of this one.
        committed.add(key);
        summary.processed += 1;
        log.info('profile record handled', {
          outcome: 'processed',
          tenant: envelope.tenant,
          profile_id: envelope.profile_id,
          decoder: exploded.decodedBy.decoder,
          ...(exploded.decodedBy.wasmLeft ? { wasm_left: exploded.decodedBy.wasmLeft } : {}),
        });
      },
      onDeadLetter({ reason }) {
        measures.deadLettered.set(reason.code, (measures.deadLettered.get(reason.code) ?? 0) + 1);
      },
      // Each dead letter is also recorded for its tenant (ingest-failures.ts: GET /v1/profiles/{id},
      // the UI); a tenant that fails the check has no key that could read it.
      deadLettered: (envelope, letter) => {
        if (tenantPattern.test(envelope.tenant)) failures.add(envelope, letter);
      },
      finish: async () => {
        await writer.finish();
        await failures.flush();
      },
    },
  );
  summary.dead_lettered = deadLettered;
}
