import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import { sql } from '../../shared/platform/sql.js';
import { encodeEnvelope } from '../../shared/profiles/envelope.js';
import { type ProcessProfilesDeps, processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { endpointCpu } from '../../shared/query/endpoint-cpu.js';
import { buildMeasuredProfile, type MeasuredProfileSpec } from '../support/pprof-builder.js';
import { profileConsumerDeps, testDeps, uniqueService } from '../support/services.js';
import { storeRawProfile } from '../support/stored-profiles.js';

/**
 * Measures at ingest, against the real S3 API server and ClickHouse: a Python profile's
 * `cpu-time`, a Node profile's `cpu` beside `wall`, numeric span id labels, and the endpoint on
 * the local root's samples land where every CPU reader looks (sample_type 'cpu', the span views).
 */
const tenant = 'test-a';
let deps: Deps;
let consumerDeps: ProcessProfilesDeps;
let offset = 0;

beforeAll(() => {
  deps = testDeps();
  consumerDeps = profileConsumerDeps(deps);
});
afterAll(async () => {
  await deps.close();
});

function record(value: Buffer): KafkaEventRecord {
  offset += 1;
  return {
    topic: deps.config.kafka.profilesTopic,
    partition: 0,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: null,
    value: value.toString('base64'),
    headers: [],
  };
}

async function consume(service: string, spec: MeasuredProfileSpec): Promise<string> {
  const envelope = await storeRawProfile(
    deps.rawStore,
    deps.config.s3.bucket,
    { tenant, service },
    buildMeasuredProfile(spec),
  );
  expect(await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))])).toEqual({
    processed: 1,
    duplicate: 0,
    dead_lettered: 0,
  });
  return envelope.profile_id;
}

async function storedTotals(profileId: string): Promise<Record<string, string>> {
  const rows = await deps.db.query<{ measure: string; total: string }>(
    sql`SELECT concat(sample_type, '/', sample_unit) AS measure, toString(sum(value)) AS total
      FROM samples WHERE tenant = ${tenant} AND profile_id = ${profileId} GROUP BY measure`,
  );
  return Object.fromEntries(rows.map((r) => [r.measure, r.total]));
}

async function cpuBySpan(service: string): Promise<Record<string, string>> {
  const rows = await deps.db.query<{ span_id: string; total: string }>(
    sql`SELECT toString(span_id) AS span_id, toString(sum(value)) AS total
      FROM samples_by_span WHERE tenant = ${tenant} AND service = ${service} GROUP BY span_id`,
  );
  return Object.fromEntries(rows.map((r) => [r.span_id, r.total]));
}

async function endpointTotals(service: string): Promise<Map<string | null, bigint>> {
  const now = Date.now() / 1000;
  const result = await endpointCpu(deps.db, { tenant, service, from: now - 3600, to: now + 3600 }, 1000);
  return new Map(result.endpoints.map((e) => [e.endpoint, e.value]));
}

const root = 2n ** 62n + 7n;
const child = 2n ** 62n + 8n;

describe('measures at ingest', () => {
  it("stores a Python profile's cpu-time as CPU, joined by numeric span ids and its root's endpoint", async () => {
    const service = uniqueService('python');
    const profileId = await consume(service, {
      sampleTypes: [
        ['cpu-samples', 'count'],
        ['cpu-time', 'nanoseconds'],
        ['wall-samples', 'count'],
        ['wall-time', 'nanoseconds'],
        ['lock-acquire-wait', 'nanoseconds'],
        ['alloc-space', 'bytes'],
      ],
      periodType: ['wall-time', 'nanoseconds'],
      samples: [
        {
          stack: ['handler', 'main'],
          values: [3n, 30_000_000n, 4n, 40_000_000n, 0n, 0n],
          numLabels: { 'span id': root, 'local root span id': root, 'thread id': 140n },
          labels: { 'trace endpoint': 'GET /work', 'trace type': 'web' },
        },
        {
          stack: ['query', 'handler', 'main'],
          values: [2n, 20_000_000n, 5n, 50_000_000n, 25_000_000n, 0n],
          numLabels: { 'span id': child, 'local root span id': root },
          labels: { 'trace endpoint': 'GET /work' },
        },
        { stack: ['gc'], values: [1n, 10_000_000n, 1n, 10_000_000n, 0n, 4096n] },
      ],
    });

    expect(await storedTotals(profileId)).toEqual({
      'cpu-samples/count': '6',
      'cpu/nanoseconds': '60000000',
      'wall-samples/count': '10',
      'wall/nanoseconds': '100000000',
      'lock-wait/nanoseconds': '25000000',
      'alloc-space/bytes': '4096',
    });
    expect(await cpuBySpan(service)).toEqual({ [root.toString()]: '30000000', [child.toString()]: '20000000' });
    expect(await endpointTotals(service)).toEqual(
      new Map([
        ['GET /work', 50_000_000n],
        [null, 10_000_000n],
      ]),
    );
    const [commit] = await deps.db.query<{ sample_types: string[] }>(
      sql`SELECT sample_types FROM profiles WHERE tenant = ${tenant} AND profile_id = ${profileId}`,
    );
    expect(commit?.sample_types).toContain('cpu-time/nanoseconds');
  });

  it("stores a Node wall.pprof's cpu beside its wall, without counting one as the other", async () => {
    const service = uniqueService('node');
    const profileId = await consume(service, {
      sampleTypes: [
        ['sample', 'count'],
        ['wall', 'nanoseconds'],
        ['cpu', 'nanoseconds'],
      ],
      periodType: ['wall', 'nanoseconds'],
      samples: [
        {
          stack: ['work', 'listener'],
          values: [5n, 50_000_000n, 45_000_000n],
          numLabels: { 'span id': root, 'local root span id': root, end_timestamp_ns: 1n },
          labels: { 'trace endpoint': 'GET /work', 'thread name': 'Main Event Loop' },
        },
        {
          stack: ['timer', 'listener'],
          values: [3n, 30_000_000n, 0n],
          numLabels: { 'span id': child, 'local root span id': root },
        },
      ],
    });
    expect(await storedTotals(profileId)).toEqual({
      'sample/count': '8',
      'wall/nanoseconds': '80000000',
      'cpu/nanoseconds': '45000000',
    });
    expect(await cpuBySpan(service)).toEqual({ [root.toString()]: '45000000' });
  });

  it('counts CPU once in a profile that declares both cpu and cpu-time', async () => {
    const service = uniqueService('both');
    const profileId = await consume(service, {
      sampleTypes: [
        ['cpu-time', 'nanoseconds'],
        ['cpu', 'nanoseconds'],
      ],
      samples: [{ stack: ['f'], values: [7_000_000n, 9_000_000n], labels: { 'trace endpoint': 'GET /x' } }],
    });
    expect(await storedTotals(profileId)).toEqual({
      'cpu-time/nanoseconds': '7000000',
      'cpu/nanoseconds': '9000000',
    });
    expect(await endpointTotals(service)).toEqual(new Map([['GET /x', 9_000_000n]]));
  });
});
