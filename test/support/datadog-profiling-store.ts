import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import type { Config } from '../../shared/platform/config.js';
import { sql } from '../../shared/platform/sql.js';
import { testConfig } from './services.js';

/**
 * Helpers for the agent intake tests (Datadog profiling, Pyroscope) over HTTP: posting like the
 * agents do, and proving that a refused upload stored nothing. The raw bucket is shared by every
 * test run on this machine, so "nothing stored" is proved by content: none of the objects that
 * appeared while the request ran holds any of the refused attachment's bytes.
 */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T & { error?: { code: string; message: string } };
}

export async function post<T = Record<string, unknown>>(
  path: string,
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<Answer<T>> {
  const answer = await fetch(`${inject('apiUrl')}${path}`, { method: 'POST', headers, body });
  return { status: answer.status, body: (await answer.json()) as Answer<T>['body'] };
}

function s3Client(config: Config): S3Client {
  return new S3Client({
    region: config.s3.region,
    forcePathStyle: config.s3.forcePathStyle,
    ...(config.s3.endpoint ? { endpoint: config.s3.endpoint } : {}),
    ...(config.s3.credentials ? { credentials: config.s3.credentials } : {}),
  });
}

async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.add(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Raw-object prefixes of a tenant for the UTC days around now (a run may cross midnight). */
function rawPrefixes(tenant: string): string[] {
  const days = new Set(
    [Date.now() - 60_000, Date.now() + 60_000].map((ms) =>
      new Date(ms).toISOString().slice(0, 10).replaceAll('-', '/'),
    ),
  );
  return [...days].flatMap((day) => [`raw/profiles/${tenant}/${day}/`, `raw/attachments/${tenant}/${day}/`]);
}

/**
 * Runs `act`, then returns the keys of objects that appeared meanwhile under the tenant's raw
 * prefixes and hold one of `payloads` byte for byte (expected: none).
 */
export async function objectsStoredDuring(
  deps: Deps,
  tenant: string,
  payloads: readonly Uint8Array[],
  act: () => Promise<void>,
): Promise<string[]> {
  const config = testConfig();
  const client = s3Client(config);
  try {
    const snapshot = async () => {
      const all = new Set<string>();
      for (const prefix of rawPrefixes(tenant))
        for (const key of await listKeys(client, config.s3.bucket, prefix)) all.add(key);
      return all;
    };
    const before = await snapshot();
    await act();
    const after = await snapshot();
    const found: string[] = [];
    for (const key of after) {
      if (before.has(key)) continue;
      const bytes = Buffer.from(await deps.rawStore.get(key));
      if (payloads.some((p) => bytes.equals(Buffer.from(p)))) found.push(key);
    }
    return found;
  } finally {
    client.destroy();
  }
}

/** Endpoint hit counts of committed ingests, as a query would count them. */
export async function committedEndpointCounts(
  deps: Deps,
  tenant: string,
  service: string,
): Promise<Record<string, number>> {
  const rows = await deps.db.query<{ endpoint: string; hits: string }>(
    sql`SELECT endpoint, toString(sum(count)) AS hits FROM endpoint_counts
      WHERE tenant = ${tenant} AND service = ${service} AND (profile_id, ingest_id) IN (
        SELECT profile_id, argMax(ingest_id, (committed_ns, ingest_id)) FROM profiles
        WHERE tenant = ${tenant} AND service = ${service} GROUP BY profile_id)
      GROUP BY endpoint ORDER BY endpoint`,
  );
  return Object.fromEntries(rows.map((r) => [r.endpoint, Number(r.hits)]));
}

/** Sample types stored for a profile (its committed ingest), to show they are kept apart. */
export async function sampleTypesOf(deps: Deps, tenant: string, profileId: string): Promise<string[]> {
  const rows = await deps.db.query<{ t: string }>(
    sql`SELECT DISTINCT concat(sample_type, '/', sample_unit) AS t FROM samples
      WHERE tenant = ${tenant} AND profile_id = ${profileId} AND (profile_id, ingest_id) IN (
        SELECT profile_id, argMax(ingest_id, (committed_ns, ingest_id)) FROM profiles
        WHERE tenant = ${tenant} AND profile_id = ${profileId} GROUP BY profile_id)
      ORDER BY t`,
  );
  return rows.map((r) => r.t);
}
