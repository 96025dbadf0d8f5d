import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { getJson, testDeps, uniqueService } from '../support/services.js';

/**
 * GET /v1/services after a redelivery. Two consumers that both run one record (a rebalance while
 * the first still works on it; Lambda's Kafka poller can do the same) each write the profile's
 * commit row, and a redelivered span batch writes its spans again. ReplacingMergeTree keeps the
 * copies until a merge, so the rows are written here as those consumers write them, and the
 * answer must still count one profile and one span.
 */
const tenant = 'test-a';
const now = Math.floor(Date.now() / 1000);
const window = `from=${now - 3600}&to=${now + 3600}`;
let deps: Deps;

beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

interface ServicesAnswer {
  services: { service: string; profiles: number; spans: number }[];
}

async function countsOf(service: string) {
  const { status, body } = await getJson<ServicesAnswer>(`/v1/services?${window}`);
  expect(status).toBe(200);
  return body.services.find((s) => s.service === service);
}

/** The `profiles` row a consumer writes last, committing its ingest attempt. */
function commitRow(service: string, profileId: string, ingestId: string, committedNs: bigint) {
  return {
    tenant,
    service,
    profile_id: profileId,
    ingest_id: ingestId,
    env: '',
    version: '',
    runtime_id: '',
    start: now,
    start_ns: (BigInt(now) * 1_000_000_000n).toString(),
    duration_ns: '10000000000',
    period: '10000000',
    period_type: 'cpu/nanoseconds',
    sample_types: ['samples/count', 'cpu/nanoseconds'],
    sample_count: 1,
    row_count: 2,
    tag_keys: [],
    tag_values: [],
    s3_key: `raw/profiles/${tenant}/test/${profileId}.pprof`,
    received_at: now,
    committed_ns: committedNs.toString(),
  };
}

describe('GET /v1/services after a redelivery', () => {
  it('counts a profile committed by two consumers once', async () => {
    const service = uniqueService('committed-twice');
    const profileId = randomUUID();
    const committedNs = BigInt(Date.now()) * 1_000_000n;

    await deps.db.insert('profiles', [commitRow(service, profileId, randomUUID(), committedNs)]);
    await deps.db.insert('profiles', [commitRow(service, profileId, randomUUID(), committedNs + 1_000_000n)]);

    expect(await countsOf(service)).toMatchObject({ profiles: 1, spans: 0 });
  });

  it('counts a span written by a redelivered batch once', async () => {
    const service = uniqueService('span-twice');
    const span = {
      tenant,
      trace_id: randomBytes(16).toString('hex'),
      span_id: BigInt(`0x${randomBytes(8).toString('hex')}`).toString(),
      parent_id: '0',
      service,
      name: 'http.request',
      resource: 'GET /twice',
      type: 'web',
      env: '',
      version: '',
      runtime_id: '',
      start: now,
      start_ns: (BigInt(now) * 1_000_000_000n).toString(),
      duration_ns: '5000000',
      error: 0,
      meta_keys: [],
      meta_values: [],
      metric_keys: [],
      metric_values: [],
      source: 'datadog-v0.4',
      ingested_ns: (BigInt(Date.now()) * 1_000_000n).toString(),
    };

    await deps.db.insert('spans', [span]);
    await deps.db.insert('spans', [span]);

    expect(await countsOf(service)).toMatchObject({ profiles: 0, spans: 1 });
  });
});
