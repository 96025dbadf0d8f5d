import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { sql } from '../../shared/platform/sql.js';
import { createProfileDecoder } from '../../shared/pprof/index.js';
import { encodeEnvelope, type ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { type ProcessProfilesDeps, processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testDeps, uniqueService } from '../support/services.js';

/**
 * The consumer's record of dead-lettered profiles (`ingest_failures`), against the real S3 API
 * server and ClickHouse: records fed in the Lambda Kafka event shape.
 */
const tenant = 'test-a';
let deps: Deps;
let consumerDeps: ProcessProfilesDeps;
let offset = 0;
const truncated = readFileSync(join(repoRoot, 'test', 'fixtures', 'bad', 'truncated.pprof'));

beforeAll(() => {
  deps = testDeps();
  consumerDeps = {
    rawStore: deps.rawStore,
    db: deps.db,
    logger: deps.logger,
    limits: deps.config.limits,
    labelMappingFor: () => defaultLabelMapping,
    decoder: createProfileDecoder({ decoder: 'wasm' }),
    deadLetterPrefix: deps.config.deadLetterPrefix,
  };
});
afterAll(async () => {
  await deps.close();
});

async function storeProfile(service: string, bytes: Uint8Array, owner = tenant): Promise<ProfileEnvelope> {
  const profileId = randomUUID();
  const key = `raw/profiles/${owner}/test/${profileId}.pprof`;
  await deps.rawStore.put(key, bytes, 'application/octet-stream');
  return {
    v: 1,
    kind: 'profile',
    profile_id: profileId,
    tenant: owner,
    service,
    env: '',
    version: '',
    tags: {},
    start: null,
    end: null,
    received_at: new Date().toISOString(),
    s3: { bucket: deps.config.s3.bucket, key },
    bytes: bytes.length,
    encoding: 'identity',
    format: 'pprof',
  };
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
});
