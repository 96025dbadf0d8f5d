import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { generateLabelledCpuProfile, pprofTagTotals, pprofTotalsByLabel } from '../support/go-pprof.js';
import { buildCpuProfile, expectedTotalsByLabel, gzipProfile, type ProfileSpec } from '../support/pprof-builder.js';
import { getJson, testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';

/**
 * The pipeline as an agent and a user see it: POST /v1/profiles → S3 → Kafka → consumer →
 * ClickHouse → GET /v1/endpoints/cpu, through serverless offline and the real services.
 */
interface EndpointCpuBody {
  total_cpu_ns: number;
  endpoints: { endpoint: string | null; cpu_ns: number; share: number }[];
}

const tenant = 'test-a';
let deps: Deps;
beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

function window() {
  const now = Math.floor(Date.now() / 1000);
  return { from: String(now - 3600), to: String(now + 3600) };
}

function asMap(body: EndpointCpuBody): Map<string | null, bigint> {
  return new Map(body.endpoints.map((e) => [e.endpoint, BigInt(e.cpu_ns)]));
}

function addTotals(...maps: Map<string | null, bigint>[]): Map<string | null, bigint> {
  const sum = new Map<string | null, bigint>();
  for (const map of maps) for (const [k, v] of map) sum.set(k, (sum.get(k) ?? 0n) + v);
  return sum;
}

async function endpointCpu(service: string): Promise<EndpointCpuBody> {
  const { status, body } = await getJson<EndpointCpuBody>(
    `/v1/endpoints/cpu?${new URLSearchParams({ service, ...window() })}`,
  );
  expect(status).toBe(200);
  return body;
}

const quoted = `POST /café/"quoted"/it's`;
const exotic = 'GET /日本語/\\back\\slash/\u00e9\u0301 ; DROP TABLE samples; --';

function labelledSpec(scale: bigint): ProfileSpec {
  return {
    samples: [
      {
        stack: ['main.handler', 'main.main'],
        cpuNs: 30_000_000n * scale,
        labels: { 'trace endpoint': 'GET /users/{id}', 'span id': '12', 'local root span id': '12' },
      },
      {
        stack: ['json.Marshal', 'main.handler', 'main.main'],
        cpuNs: 70_000_000n * scale,
        labels: { 'trace endpoint': 'GET /users/{id}', 'span id': '13', 'local root span id': '12' },
      },
      {
        stack: ['crypto.sha', 'main.main'],
        cpuNs: 50_000_000n * scale,
        labels: { 'trace endpoint': quoted, 'span id': '9007199254740993', 'local root span id': '9007199254740993' },
      },
      {
        stack: ['regexp.Match', 'main.main'],
        cpuNs: 20_000_000n * scale,
        labels: {
          'trace endpoint': exotic,
          'span id': '18446744073709551557',
          'local root span id': '18446744073709551557',
        },
      },
      { stack: ['runtime.gcBgMarkWorker'], cpuNs: 40_000_000n * scale },
      { stack: ['main.background'], cpuNs: 10_000_000n * scale, labels: { 'span id': '777' } },
    ],
  };
}

function zstd(bytes: Uint8Array): Uint8Array {
  return execFileSync('zstd', ['-c', '-q'], { input: bytes });
}

describe('POST /v1/profiles then GET /v1/endpoints/cpu', () => {
  it('reports per-endpoint CPU equal to the nanosecond to the totals of raw, gzip and zstd uploads', async () => {
    const service = uniqueService('pipeline');
    const specs = [labelledSpec(1n), labelledSpec(3n), labelledSpec(7n)];
    const bodies = [
      buildCpuProfile(specs[0] as ProfileSpec),
      gzipProfile(buildCpuProfile(specs[1] as ProfileSpec)),
      zstd(buildCpuProfile(specs[2] as ProfileSpec)),
    ];

    const ids: string[] = [];
    for (const body of bodies) {
      const answer = await uploadProfile(body, { service, env: 'test', version: '1.0.0' });
      expect(answer.status).toBe(202);
      ids.push(answer.body.profile_id ?? '');
    }
    await waitForCommittedProfiles(deps, tenant, ids);
    const result = await endpointCpu(service);

    const expected = addTotals(...specs.map((spec) => expectedTotalsByLabel(spec, 'trace endpoint')));
    expect(asMap(result)).toEqual(expected);
    expect(BigInt(result.total_cpu_ns)).toBe([...expected.values()].reduce((a, b) => a + b, 0n));
    expect(result.endpoints.filter((e) => e.endpoint === null)).toHaveLength(1);
  });

  it('matches go tool pprof -tags on a real Go CPU profile labelled with pprof.Do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotspots-go-'));
    const file = join(dir, 'cpu.pprof');
    await generateLabelledCpuProfile(file, { durationMs: 2000, idSalt: Math.floor(Math.random() * 2 ** 32) });
    const service = uniqueService('go-runtime');

    const answer = await uploadProfile(readFileSync(file), { service });
    expect(answer.status).toBe(202);
    await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id ?? '']);
    const result = await endpointCpu(service);

    const fromRaw = await pprofTotalsByLabel(file, 'trace endpoint');
    const fromTags = await pprofTagTotals(file, 'trace endpoint');
    expect(fromTags).toEqual(fromRaw);
    expect(asMap(result)).toEqual(fromRaw);
  });

  it('keeps other services of the same tenant out of the answer', async () => {
    const [mine, other] = [uniqueService('mine'), uniqueService('other')];
    const spec = labelledSpec(1n);
    const a = await uploadProfile(buildCpuProfile(spec), { service: mine });
    const b = await uploadProfile(buildCpuProfile(labelledSpec(5n)), { service: other });
    await waitForCommittedProfiles(deps, tenant, [a.body.profile_id ?? '', b.body.profile_id ?? '']);

    expect(asMap(await endpointCpu(mine))).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });
});

describe('POST /v1/profiles content types, as clients send them', () => {
  const spec = labelledSpec(1n);
  const expected = expectedTotalsByLabel(spec, 'trace endpoint');

  async function countedExactly(profileId: string | undefined, service: string) {
    await waitForCommittedProfiles(deps, tenant, [profileId ?? '']);
    expect(asMap(await endpointCpu(service))).toEqual(expected);
  }

  it('counts a profile sent with no Content-Type (Node fetch with a Buffer) exactly', async () => {
    const service = uniqueService('no-type');

    const answer = await uploadProfile(gzipProfile(buildCpuProfile(spec)), { service }, { contentType: null });

    expect(answer.status).toBe(202);
    await countedExactly(answer.body.profile_id, service);
  });

  it('counts a profile sent by curl --data-binary @cpu.pprof without -H (a form type) exactly', async () => {
    const service = uniqueService('curl');
    const file = join(mkdtempSync(join(tmpdir(), 'hotspots-curl-')), 'cpu.pprof');
    writeFileSync(file, buildCpuProfile(spec));
    const url = `${inject('apiUrl')}/v1/profiles?service=${service}`;

    const out = execFileSync('curl', [
      '-sS',
      '-H',
      `Authorization: Bearer ${inject('apiKey')}`,
      '--data-binary',
      `@${file}`,
      '-w',
      '\n%{http_code}',
      url,
    ]);
    const [body = '', status] = out.toString('utf8').split('\n');

    expect(status).toBe('202');
    await countedExactly((JSON.parse(body) as { profile_id: string }).profile_id, service);
  });

  it.each([
    ['application/x-protobuf', (b: Uint8Array) => b],
    ['application/vnd.google.protobuf', (b: Uint8Array) => b],
    ['application/gzip', gzipProfile],
    ['application/zstd', zstd],
  ])('counts a profile sent as %s exactly', async (contentType, encode) => {
    const service = uniqueService('typed');

    const answer = await uploadProfile(encode(buildCpuProfile(spec)), { service }, { contentType });

    expect(answer.status).toBe(202);
    await countedExactly(answer.body.profile_id, service);
  });

  it('refuses a real form with 415, naming what is accepted', async () => {
    const answer = await uploadProfile(
      Buffer.from('service=x&env=prod'),
      { service: 'x' },
      { contentType: 'application/x-www-form-urlencoded' },
    );

    expect([answer.status, answer.body.error?.message]).toEqual([415, expect.stringContaining('no Content-Type')]);
  });
});

describe('upload refusals', () => {
  const profile = buildCpuProfile(labelledSpec(1n));

  it('answers 401 without an API key', async () => {
    const answer = await uploadProfile(profile, { service: 'x' }, { apiKey: null });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('unauthorized');
  });

  it('answers 401 for an unknown API key', async () => {
    const answer = await uploadProfile(profile, { service: 'x' }, { apiKey: 'not-a-real-key' });
    expect(answer.status).toBe(401);
  });

  it('answers 415 for a body sent as text, naming what is accepted', async () => {
    const answer = await uploadProfile(profile, { service: 'x' }, { contentType: 'text/plain' });
    expect(answer.status).toBe(415);
    expect(answer.body.error?.message).toContain('application/octet-stream');
  });

  it('answers 400 when the service is missing', async () => {
    const answer = await uploadProfile(profile, {});
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toContain('service');
  });

  it('answers 400 for an empty body', async () => {
    const answer = await uploadProfile(new Uint8Array(0), { service: 'x' });
    expect(answer.status).toBe(400);
  });

  it('answers 413 with the configured limit for a body above it', async () => {
    const answer = await uploadProfile(new Uint8Array(2 * 1024 * 1024 + 1), { service: 'x' });
    expect(answer.status).toBe(413);
    expect(answer.body.error?.message).toContain(String(2 * 1024 * 1024));
  });
});

describe('GET /v1/endpoints/cpu refusals', () => {
  it('answers 400 for a reversed time range', async () => {
    const { status } = await getJson('/v1/endpoints/cpu?service=x&from=2000&to=1000');
    expect(status).toBe(400);
  });

  it('answers 400 for a range wider than the limit', async () => {
    const { status, body } = await getJson<{ error: { message: string } }>(
      '/v1/endpoints/cpu?service=x&from=0&to=1900000000',
    );
    expect(status).toBe(400);
    expect(body.error.message).toContain('wider than the limit');
  });

  it('answers 401 without a key', async () => {
    const { status } = await getJson('/v1/endpoints/cpu?service=x&from=1000&to=2000', { apiKey: null });
    expect(status).toBe(401);
  });

  it('answers 200 with an empty list for a service with no data', async () => {
    const body = await endpointCpu(uniqueService('empty'));
    expect(body.endpoints).toEqual([]);
    expect(body.total_cpu_ns).toBe(0);
  });
});

describe('GET /healthz', () => {
  it('answers 200 with every dependency reachable', async () => {
    const { status, body } = await getJson<{ ok: boolean }>('/healthz', { apiKey: null });
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
  });
});
