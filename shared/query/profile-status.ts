import { badRequest, notFound } from '../platform/errors.js';
import type { RawPayloadStore, SqlDatabase } from '../platform/ports.js';
import { type Sql, sql } from '../platform/sql.js';
import {
  readReceipt,
  readUploadReceipt,
  STATUS_RETENTION_DAYS,
  type UploadReceipt,
} from '../platform/upload-receipts.js';
import { parseUuid } from '../platform/uuids.js';
import type { ProfileStatus, UploadStatus } from './ingest-answers.js';

/**
 * `GET /v1/profiles/{id}`: what became of an upload, from three sources read together —
 * - committed: the `profiles` row that commits the profile (written after all its samples);
 * - dead-lettered: `ingest_failures`, where the consumer records each profile it dead-letters;
 * - pending: the upload receipt in S3 (shared/platform/upload-receipts.ts), written when the
 *   upload was accepted, before the consumer could see it.
 * The first that knows the id wins, in that order: a profile dead-lettered and later replayed is
 * committed. Every source is read for the caller's tenant only, so another tenant's id is as
 * unknown as an id that never existed. The `upload_id` of an agent upload answers with the status
 * of each of its profiles (its receipt lists them).
 */
export interface ProfileStatusDeps {
  db: SqlDatabase;
  rawStore: RawPayloadStore;
}

const iso = (seconds: number | string) => new Date(Number(seconds) * 1000).toISOString();
/** Nanoseconds since the epoch as RFC 3339 with milliseconds (the precision of a JS Date). */
const isoNs = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

/** The cutoff of statuses kept `STATUS_RETENTION_DAYS`, in ClickHouse's own clock. */
export const statusCutoff = (): Sql => sql`now() - ${STATUS_RETENTION_DAYS * 24 * 3600}`;

interface CommitRow {
  service: string;
  env: string;
  version: string;
  samples: string;
  rows: string;
  sample_types: string[];
  start_ns: string;
  duration_ns: string;
  received_s: string;
  committed: string;
}

/**
 * The commit of a profile. `profiles` is sorted by (tenant, service, start): the profile_commits
 * view, sorted by (tenant, profile_id), finds the service and start first, so this reads a few
 * granules, not a tenant's history. Of several commits (two consumers racing), the one queries
 * count: the largest (committed_ns, ingest_id), as shared/query/sql/committed.ts picks it.
 */
async function commitOf(db: SqlDatabase, tenant: string, id: string): Promise<CommitRow | undefined> {
  const [row] = await db.query<CommitRow>(
    sql`SELECT service, env, version, toString(sample_count) AS samples, toString(row_count) AS rows, sample_types,
      toString(start_ns) AS start_ns, toString(duration_ns) AS duration_ns,
      toString(toUInt32(received_at)) AS received_s, toString(committed_ns) AS committed
    FROM profiles
    WHERE tenant = ${tenant} AND profile_id = ${id}
      AND (service, start) IN (SELECT service, start FROM profile_commits WHERE tenant = ${tenant} AND profile_id = ${id})
    ORDER BY committed_ns DESC, ingest_id DESC
    LIMIT 1`,
  );
  return row;
}

interface FailureRow {
  service: string;
  reason_code: string;
  message: string;
  /** Unix seconds (an alias apart from the column: ClickHouse reads aliases in WHERE too). */
  failed_s: string;
}

async function failureOf(db: SqlDatabase, tenant: string, id: string): Promise<FailureRow | undefined> {
  const [row] = await db.query<FailureRow>(
    sql`SELECT service, reason_code, message, toString(toUInt32(failed_at)) AS failed_s
    FROM ingest_failures
    WHERE tenant = ${tenant} AND profile_id = ${id} AND failed_at >= ${statusCutoff()}
    ORDER BY failed_at DESC
    LIMIT 1`,
  );
  return row;
}

type Accepted = Pick<UploadReceipt, 'service' | 'accepted_at' | 'upload_id'>;

const pending = (id: string, accepted: Accepted): ProfileStatus => ({
  profile_id: id,
  status: 'pending',
  service: accepted.service,
  accepted_at: accepted.accepted_at,
  ...(accepted.upload_id === undefined ? {} : { upload_id: accepted.upload_id }),
});

/** The status of one profile id, or undefined when no source knows it. */
async function statusOf(
  deps: ProfileStatusDeps,
  tenant: string,
  id: string,
  accepted?: Accepted,
): Promise<ProfileStatus | undefined> {
  const [commit, failure, receipt] = await Promise.all([
    commitOf(deps.db, tenant, id),
    failureOf(deps.db, tenant, id),
    accepted ?? readReceipt(deps.rawStore, tenant, id),
  ]);
  if (commit) {
    const startNs = BigInt(commit.start_ns);
    return {
      profile_id: id,
      status: 'committed',
      service: commit.service,
      env: commit.env,
      version: commit.version,
      samples: Number(commit.samples),
      rows: Number(commit.rows),
      sample_types: commit.sample_types,
      start: isoNs(startNs),
      end: isoNs(startNs + BigInt(commit.duration_ns)),
      received_at: iso(commit.received_s),
      committed_at: isoNs(BigInt(commit.committed)),
    };
  }
  if (failure) {
    return {
      profile_id: id,
      status: 'dead_lettered',
      service: failure.service,
      reason: { code: failure.reason_code, message: failure.message },
      failed_at: iso(failure.failed_s),
    };
  }
  return receipt ? pending(id, receipt) : undefined;
}

export async function profileStatus(
  deps: ProfileStatusDeps,
  tenant: string,
  rawId: string | undefined,
): Promise<ProfileStatus | UploadStatus> {
  const id = parseUuid(rawId?.trim() ?? '');
  if (id === undefined) {
    throw badRequest(
      `profile id ${JSON.stringify((rawId ?? '').slice(0, 64))} is not a UUID: use the profile_id an upload answered with`,
    );
  }
  const status = await statusOf(deps, tenant, id);
  if (status) return status;
  const upload = await readUploadReceipt(deps.rawStore, tenant, id);
  if (upload) {
    // The upload's receipt proves each of its profiles was accepted: pending until a source knows more.
    const accepted = { service: upload.service, accepted_at: upload.accepted_at, upload_id: upload.upload_id };
    const profiles = await Promise.all(
      upload.profiles.map(async ({ profile_id, attachment }) => ({
        attachment,
        ...((await statusOf(deps, tenant, profile_id, accepted)) ?? pending(profile_id, accepted)),
      })),
    );
    return { upload_id: upload.upload_id, service: upload.service, accepted_at: upload.accepted_at, profiles };
  }
  throw notFound(
    `no profile ${id} is known to this tenant: it was never uploaded with this key's tenant, or it was not committed and its status expired (kept ${STATUS_RETENTION_DAYS} days)`,
  );
}
