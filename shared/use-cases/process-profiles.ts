import { randomUUID } from 'node:crypto';
import { decompressBounded } from '../compression.js';
import { type ProfileEnvelope, parseEnvelope } from '../envelope.js';
import { unprocessable } from '../errors.js';
import type { KafkaEventRecord } from '../kafka-event.js';
import type { LabelMapping } from '../labels.js';
import type { Logger } from '../logger.js';
import type { EnvelopePublisher, RawPayloadStore, SqlDatabase } from '../ports.js';
import type { ExplodeLimits } from '../pprof/explode.js';
import { explodeProfile } from '../pprof/explode.js';
import { sql } from '../sql.js';
import { consumeRecords } from './consume-records.js';

/**
 * The consumer's use case. For each Kafka record: parse the envelope, fetch the raw profile,
 * decode and explode it, write samples/stacks/frames, then the profile row that commits them.
 *
 * Lambda retries a failed Kafka batch whole, so this function sorts failures itself: a record
 * that can never succeed (bad envelope, corrupt pprof, missing object) goes to the dead-letter
 * prefix in S3 and to the dead-letter topic (shared/dead-letters.ts) and the batch goes on; a
 * transient failure (S3 or ClickHouse down) is thrown so that no offset is committed and the
 * whole batch comes back. Records already committed are skipped, so the retry does not double
 * count.
 */
export interface ProcessProfilesDeps {
  rawStore: RawPayloadStore;
  db: SqlDatabase;
  logger: Logger;
  limits: ExplodeLimits & { maxDecompressedBytes: number };
  labelMappingFor: (tenant: string) => LabelMapping;
  deadLetterPrefix: string;
  /** The dead-letter topic (every dead letter is also published there); absent = S3 copy only. */
  deadLetterTopic?: { publisher: EnvelopePublisher; name: string };
  /** Rows per INSERT; bounds the size of one request to ClickHouse. */
  insertChunkRows?: number;
  now?: () => Date;
}

export type RecordOutcome = 'processed' | 'duplicate' | 'dead_lettered';

export interface BatchSummary {
  processed: number;
  duplicate: number;
  dead_lettered: number;
}

export async function isProfileCommitted(db: SqlDatabase, tenant: string, profileId: string): Promise<boolean> {
  const rows = await db.query<{ n: string | number }>(
    sql`SELECT count() AS n FROM profiles WHERE tenant = ${tenant} AND profile_id = ${profileId}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

async function insertInChunks(db: SqlDatabase, table: string, rows: readonly object[], chunk: number) {
  for (let i = 0; i < rows.length; i += chunk) await db.insert(table, rows.slice(i, i + chunk));
}

/**
 * Hits per endpoint (Datadog `endpoint_counts`), stamped like the samples with the profile's start
 * second and ingest id, so that the committed-ingest filter applies to them unchanged.
 */
function endpointCountRows(envelope: ProfileEnvelope, ingestId: string, ts: number): object[] {
  return Object.entries(envelope.endpoint_counts ?? {}).map(([endpoint, count]) => ({
    tenant: envelope.tenant,
    service: envelope.service,
    env: envelope.env,
    version: envelope.version,
    ts,
    profile_id: envelope.profile_id,
    ingest_id: ingestId,
    endpoint,
    count,
  }));
}

// Tenants of envelopes written by hand or replayed are checked like configured ones (config.ts).
const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// ClickHouse DateTime is a UInt32 of seconds: 18.16 silently wraps values outside it (measured),
// and current versions clamp them, so a profile dated outside 1970–2106 is refused, not misfiled.
const MAX_DATETIME_SECONDS = 2 ** 32 - 1;

export async function processProfile(deps: ProcessProfilesDeps, envelope: ProfileEnvelope): Promise<RecordOutcome> {
  if (!tenantPattern.test(envelope.tenant)) throw unprocessable('envelope tenant is not a valid tenant name');
  if (await isProfileCommitted(deps.db, envelope.tenant, envelope.profile_id)) return 'duplicate';
  const raw = await deps.rawStore.get(envelope.s3.key);
  const { data } = decompressBounded(raw, deps.limits.maxDecompressedBytes);
  const ingestId = randomUUID();
  const exploded = explodeProfile(
    data,
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
  const chunk = deps.insertChunkRows ?? 100_000;
  const startSeconds = Number(exploded.startNs / 1_000_000_000n);
  if (exploded.startNs < 0n || startSeconds > MAX_DATETIME_SECONDS) {
    throw unprocessable(`profile time ${exploded.startNs} ns is outside the range ClickHouse can store (1970 to 2106)`);
  }
  // Frames and stacks first, samples and endpoint counts next, the profile row last: a crash
  // anywhere before the last insert leaves rows of an uncommitted ingest_id, which queries ignore.
  await insertInChunks(deps.db, 'frames', exploded.frames, chunk);
  await insertInChunks(deps.db, 'stacks', exploded.stacks, chunk);
  await insertInChunks(deps.db, 'samples', exploded.samples, chunk);
  await insertInChunks(deps.db, 'endpoint_counts', endpointCountRows(envelope, ingestId, startSeconds), chunk);
  const tagEntries = Object.entries(envelope.tags);
  await deps.db.insert('profiles', [
    {
      tenant: envelope.tenant,
      service: envelope.service,
      profile_id: envelope.profile_id,
      ingest_id: ingestId,
      env: envelope.env,
      version: envelope.version,
      runtime_id: envelope.tags['runtime-id'] ?? '',
      start: startSeconds,
      start_ns: exploded.startNs.toString(),
      duration_ns: exploded.durationNs.toString(),
      period: exploded.period.toString(),
      period_type: exploded.periodType,
      sample_types: exploded.sampleTypes,
      sample_count: exploded.sampleCount,
      row_count: exploded.samples.length,
      tag_keys: tagEntries.map(([k]) => k),
      tag_values: tagEntries.map(([, v]) => v),
      s3_key: envelope.s3.key,
      received_at: Math.floor(Date.parse(envelope.received_at) / 1000) || 0,
      committed_ns: (BigInt(Date.now()) * 1_000_000n).toString(),
    },
  ]);
  return 'processed';
}

export async function processProfileRecords(
  deps: ProcessProfilesDeps,
  records: readonly KafkaEventRecord[],
): Promise<BatchSummary> {
  const summary: BatchSummary = { processed: 0, duplicate: 0, dead_lettered: 0 };
  const { deadLettered } = await consumeRecords(
    {
      logger: deps.logger,
      rawStore: deps.rawStore,
      deadLetterPrefix: deps.deadLetterPrefix,
      ...(deps.deadLetterTopic ? { topic: deps.deadLetterTopic } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    },
    records,
    {
      source: 'profiles',
      parse: parseEnvelope,
      identify: (envelope) => ({ tenant: envelope.tenant, id: envelope.profile_id }),
      async handle(envelope, log) {
        const outcome = await processProfile(deps, envelope);
        summary[outcome] += 1;
        log.info('profile record handled', { outcome, tenant: envelope.tenant, profile_id: envelope.profile_id });
      },
    },
  );
  summary.dead_lettered = deadLettered;
  return summary;
}
