import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { big, getExact } from '../support/api.js';
import { generateLabelledCpuProfile } from '../support/go-pprof.js';
import { buildMultipart, eventPart, filePart } from '../support/multipart-builder.js';
import { testDeps, uniqueService, waitForCommittedProfiles } from '../support/services.js';

/**
 * GET /v1/changes on real Go runtime profiles: test/go/labelled-cpu's deploy scenario run twice
 * as version 1.0 and twice as 1.1 with `-slow-factor 3` (POST /checkout's priceItems does three
 * times the work per request), uploaded through the Datadog intake with the endpoint_counts the
 * program reports. The report names POST /checkout as more expensive per request and priceItems
 * as the function that moved most, and GET /catalog as unchanged; its figures match
 * /v1/endpoints/cpu and the uploaded counts.
 */
const tenant = 'test-a';
let deps: Deps;
let dir: string;
const service = uniqueService('deploy');
const counts = new Map<string, Map<string, number>>();

type Num = number | bigint;
interface Side {
  cpu_ns: Num;
  requests: Num | null;
  profiles: number;
  value: number;
  sampling_error: number;
}
interface ChangesBody {
  versions: { version: string; profiles: number }[];
  changes: {
    from_version: string;
    to_version: string;
    endpoints: {
      endpoint: string;
      basis: string;
      status: string;
      before: Side;
      after: Side;
      relative_change: number;
      threshold: number;
      functions: { function: string; delta_self: number }[];
    }[];
    appeared: { endpoint: string }[];
    vanished: { endpoint: string }[];
  }[];
}

async function uploadRun(version: string, slowFactor: number): Promise<string> {
  const file = path.join(dir, `${version}-${randomUUID()}.pb.gz`);
  const { labels } = await generateLabelledCpuProfile(file, {
    scenario: 'deploy',
    durationMs: 2000,
    slowFactor,
    idSalt: Math.floor(Math.random() * 2 ** 31),
  });
  const endpointCounts = labels.endpoint_counts ?? {};
  const seen = counts.get(version) ?? new Map<string, number>();
  for (const [e, n] of Object.entries(endpointCounts)) seen.set(e, (seen.get(e) ?? 0) + n);
  counts.set(version, seen);
  const now = Date.now();
  const event = {
    start: new Date(now - 2000).toISOString(),
    end: new Date(now).toISOString(),
    attachments: ['cpu.pprof'],
    tags_profiler: `service:${service},env:e2e,version:${version},host:ci,runtime-id:${randomUUID()},runtime:go`,
    family: 'go',
    version: '4',
    endpoint_counts: endpointCounts,
  };
  const body = buildMultipart([filePart('cpu.pprof', await readFile(file)), eventPart(event)]);
  const answer = await fetch(`${inject('apiUrl')}/profiling/v1/input`, {
    method: 'POST',
    headers: { 'content-type': body.contentType, 'dd-api-key': inject('apiKey') },
    body: body.body,
  });
  const text = await answer.text();
  expect([answer.status, text]).toEqual([202, expect.any(String)]);
  return (JSON.parse(text) as { profiles: { profile_id: string }[] }).profiles[0]?.profile_id ?? '';
}

beforeAll(async () => {
  deps = testDeps();
  dir = await mkdtemp(path.join(tmpdir(), 'hotspots-changes-'));
  const ids = [
    await uploadRun('1.0', 1),
    await uploadRun('1.0', 1),
    await uploadRun('1.1', 3),
    await uploadRun('1.1', 3),
  ];
  await waitForCommittedProfiles(deps, tenant, ids);
}, 300_000);
afterAll(async () => {
  await deps.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /v1/changes', () => {
  it('names the endpoint a release made slower and its function, and reports the other unchanged', async () => {
    const t = Math.floor(Date.now() / 1000);
    const window = { service, from: String(t - 3600), to: String(t + 600) };
    const answer = await getExact<ChangesBody>(`/v1/changes?${new URLSearchParams(window)}`);
    expect(answer.status).toBe(200);
    const body = answer.body;
    expect(body.versions.map((v) => [v.version, v.profiles])).toEqual([
      ['1.0', 2],
      ['1.1', 2],
    ]);
    expect(body.changes).toHaveLength(1);
    const [change] = body.changes;
    expect([change?.from_version, change?.to_version]).toEqual(['1.0', '1.1']);
    const byEndpoint = new Map(change?.endpoints.map((e) => [e.endpoint, e]));
    const checkout = byEndpoint.get('POST /checkout');
    const catalog = byEndpoint.get('GET /catalog');

    expect(checkout?.basis).toBe('cpu_per_request');
    expect(checkout?.status).toBe('increased');
    expect(checkout?.functions[0]?.function).toBe('main.priceItems');
    expect(checkout?.functions[0]?.delta_self).toBeGreaterThan(0);
    expect(catalog?.basis).toBe('cpu_per_request');
    expect(catalog?.status).toBe('unchanged');
    expect(change?.appeared).toEqual([]);
    expect(change?.vanished).toEqual([]);

    // The figures behind: CPU as /v1/endpoints/cpu per version, requests as uploaded, two profiles.
    for (const [version, side] of [
      ['1.0', 'before'],
      ['1.1', 'after'],
    ] as const) {
      const cpu = await getExact<{ endpoints: { endpoint: string | null; cpu_ns: Num }[] }>(
        `/v1/endpoints/cpu?${new URLSearchParams({ ...window, version })}`,
      );
      for (const entry of [checkout, catalog]) {
        const figure = entry?.[side];
        const endpoint = entry?.endpoint ?? '';
        expect(big(figure?.cpu_ns)).toBe(big(cpu.body.endpoints.find((e) => e.endpoint === endpoint)?.cpu_ns));
        expect(big(figure?.requests)).toBe(BigInt(counts.get(version)?.get(endpoint) ?? -1));
        expect(figure?.profiles).toBe(2);
        expect(figure?.value).toBeCloseTo(Number(big(figure?.cpu_ns)) / Number(big(figure?.requests)), 3);
      }
    }
  });

  it('refuses a missing service or window with a 400', async () => {
    for (const query of ['from=1&to=2', `service=s&from=${Date.now()}`]) {
      const reply = await getExact<{ error: { message: string } }>(`/v1/changes?${query}`);
      expect(reply.status).toBe(400);
    }
  });
});
