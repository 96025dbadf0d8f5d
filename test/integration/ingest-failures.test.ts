import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import { sql } from '../../shared/platform/sql.js';
import { encodeEnvelope, type ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { type ProcessProfilesDeps, processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { ingestErrors } from '../../shared/query/ingest-errors.js';
import { profileStatus } from '../../shared/query/profile-status.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { profileConsumerDeps, testDeps, uniqueService } from '../support/services.js';
import { storeRawProfile } from '../support/stored-profiles.js';

/**
 * The consumer's record of dead-lettered profiles (`ingest_failures`) and the two readers of it,
 * against the real S3 API server and ClickHouse: records fed in the Lambda Kafka event shape.
 */
const tenant = 'test-a';
let deps: Deps;
let consumerDeps: ProcessProfilesDeps;
let offset = 0;
const truncated = readFileSync(join(repoRoot, 'test', 'fixtures', 'bad', 'truncated.pprof'));

beforeAll(() => {
  deps = testDeps();
  consumerDeps = profileConsumerDeps(deps);
});
afterAll(async () => {
  await deps.close();
});

async function storeProfile(service: string, bytes: Uint8Array, owner = tenant): Promise<ProfileEnvelope> {
  return storeRawProfile(deps.rawStore, deps.config.s3.bucket, { tenant: owner, service }, bytes);
}

function record(value: Buffer | string): KafkaEventRecord {
  offset += 1;
  return {
    topic: `ingest-failures-test-${randomUUID()}`,
    partition: 0,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: null,
    value: Buffer.from(value).toString('base64'),
    headers: [],
  };
}

const failuresOf = (profileId: string) =>
  deps.db.query<{ service: string; reason_code: string; message: string; dead_letter_key: string }>(
    sql`SELECT service, reason_code, message, dead_letter_key FROM ingest_failures WHERE tenant = ${tenant} AND profile_id = ${profileId}`,
  );

describe('the consumer dead-lettering a profile', () => {
  it('records it in ingest_failures with its reason and the dead letter it wrote', async () => {
    const service = uniqueService('failures');
    const envelope = await storeProfile(service, truncated);

    const summary = await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);

    const rows = await failuresOf(envelope.profile_id);
    expect(summary.dead_lettered).toBe(1);
    expect(rows).toEqual([
      {
        service,
        reason_code: 'unprocessable',
        message: expect.stringContaining('beyond the string table'),
        dead_letter_key: expect.stringMatching(new RegExp(`^${deps.config.deadLetterPrefix}profiles/${tenant}/`)),
      },
    ]);
    expect(JSON.parse(Buffer.from(await deps.rawStore.get(rows[0]?.dead_letter_key ?? '')).toString())).toMatchObject({
      id: envelope.profile_id,
      reason: { code: 'unprocessable' },
    });
  });

  it('records every dead letter of a batch, and none for the profiles it committed', async () => {
    const service = uniqueService('failures-batch');
    const [bad1, good, bad2] = await Promise.all([
      storeProfile(service, truncated),
      storeProfile(service, buildCpuProfile({ samples: [{ stack: ['main'], cpuNs: 10_000_000n }] })),
      storeProfile(service, Buffer.from('not a profile at all')),
    ]);

    await processProfileRecords(
      consumerDeps,
      [bad1, good, bad2].map((e) => record(encodeEnvelope(e as ProfileEnvelope))),
    );

    const counts = await Promise.all(
      [bad1, good, bad2].map(async (e) => (await failuresOf(e?.profile_id ?? '')).length),
    );
    expect(counts).toEqual([1, 0, 1]);
  });

  it('records nothing for a record whose envelope does not parse (no tenant to show it to)', async () => {
    const before = await deps.db.query<{ n: string }>(sql`SELECT count() AS n FROM ingest_failures WHERE tenant = ''`);

    const summary = await processProfileRecords(consumerDeps, [record('{"v":1,"kind":"profile"')]);

    const after = await deps.db.query<{ n: string }>(sql`SELECT count() AS n FROM ingest_failures WHERE tenant = ''`);
    expect([summary.dead_lettered, after[0]?.n]).toEqual([1, before[0]?.n]);
  });

  it('records nothing for an envelope naming a tenant no key can have', async () => {
    const envelope = { ...(await storeProfile(uniqueService('failures-bad-tenant'), truncated)), tenant: '../x y' };

    const summary = await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);

    const rows = await deps.db.query<{ n: string }>(
      sql`SELECT count() AS n FROM ingest_failures WHERE profile_id = ${envelope.profile_id}`,
    );
    expect([summary.dead_lettered, rows[0]?.n]).toEqual([1, '0']);
  });

  it('answers the profile’s status and lists it once, however often its batch was retried', async () => {
    const service = uniqueService('failures-retried');
    const envelope = await storeProfile(service, truncated);

    for (let attempt = 0; attempt < 3; attempt++) {
      await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);
    }

    const status = await profileStatus(deps, tenant, envelope.profile_id);
    const listed = await ingestErrors(deps.db, tenant, new URLSearchParams({ service }));
    expect(status).toMatchObject({ status: 'dead_lettered', service, reason: { code: 'unprocessable' } });
    expect(listed.errors.map((e) => e.profile_id)).toEqual([envelope.profile_id]);
  });

  it('stops listing a profile once it is committed (a dead letter replayed after a fix)', async () => {
    const service = uniqueService('failures-replayed');
    const envelope = await storeProfile(service, truncated);
    await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);
    await deps.rawStore.put(
      envelope.s3.key,
      buildCpuProfile({ samples: [{ stack: ['main'], cpuNs: 10_000_000n }] }),
      'application/octet-stream',
    );

    await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);

    const listed = await ingestErrors(deps.db, tenant, new URLSearchParams({ service }));
    expect(await profileStatus(deps, tenant, envelope.profile_id)).toMatchObject({ status: 'committed' });
    expect(listed.errors).toEqual([]);
  });
});

describe('GET /v1/ingest-errors (the use case)', () => {
  it('lists a service’s dead-lettered profiles newest first, with their reasons', async () => {
    const service = uniqueService('failures-list');
    const first = await storeProfile(service, truncated);
    await processProfileRecords(consumerDeps, [record(encodeEnvelope(first))]);
    // failed_at has whole seconds: the second dead letter must be in a later second to sort after.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await storeProfile(service, Buffer.from('garbage'));
    await processProfileRecords(consumerDeps, [record(encodeEnvelope(second))]);

    const listed = await ingestErrors(deps.db, tenant, new URLSearchParams({ service }));

    expect(listed.errors.map((e) => [e.profile_id, e.reason.code])).toEqual([
      [second.profile_id, 'unprocessable'],
      [first.profile_id, 'unprocessable'],
    ]);
    expect(listed.truncated).toBe(false);
  });

  it('says when it listed only the latest (limit)', async () => {
    const service = uniqueService('failures-limit');
    const envelopes = await Promise.all([1, 2, 3].map(() => storeProfile(service, truncated)));
    await processProfileRecords(
      consumerDeps,
      envelopes.map((e) => record(encodeEnvelope(e))),
    );

    const listed = await ingestErrors(deps.db, tenant, new URLSearchParams({ service, limit: '2' }));

    expect([listed.errors.length, listed.truncated]).toEqual([2, true]);
  });

  it.each(['0', '201', 'ten', '1.5'])('refuses limit=%s with 400', async (limit) => {
    await expect(ingestErrors(deps.db, tenant, new URLSearchParams({ limit }))).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('limit must be an integer from 1 to 200'),
    });
  });

  it('shows a tenant none of another tenant’s errors', async () => {
    const service = uniqueService('failures-other-tenant');
    const theirs = await storeProfile(service, truncated, 'test-b');
    await processProfileRecords(consumerDeps, [record(encodeEnvelope(theirs))]);

    const listed = await ingestErrors(deps.db, tenant, new URLSearchParams({ service }));

    expect(listed.errors).toEqual([]);
    await expect(profileStatus(deps, tenant, theirs.profile_id)).rejects.toMatchObject({ code: 'not_found' });
  });
});
