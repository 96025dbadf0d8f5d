import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { big, getExact } from '../support/api.js';
import { uploadDeployRun } from '../support/deploy-profiles.js';
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
  const { profileId, endpointCounts } = await uploadDeployRun(service, version, slowFactor, dir);
  const seen = counts.get(version) ?? new Map<string, number>();
  for (const [e, n] of Object.entries(endpointCounts)) seen.set(e, (seen.get(e) ?? 0) + n);
  counts.set(version, seen);
  return profileId;
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

  it('gives the same CPU per request in the diff flame graph normalised per request', async () => {
    const t = Math.floor(Date.now() / 1000);
    const window = { service, from: String(t - 3600), to: String(t + 600) };
    const report = (await getExact<ChangesBody>(`/v1/changes?${new URLSearchParams(window)}`)).body;
    const checkout = report.changes[0]?.endpoints.find((e) => e.endpoint === 'POST /checkout');
    const query = new URLSearchParams({
      ...window,
      endpoint: 'POST /checkout',
      'a.version': '1.0',
      'b.version': '1.1',
      normalize: 'per_request',
    });
    const diff = await getExact<{
      a: { requests: Num };
      b: { requests: Num };
      tree: { scaled: { a_total: number; b_total: number } };
    }>(`/v1/flamegraph/diff?${query}`);
    expect(diff.status).toBe(200);
    expect([big(diff.body.a.requests), big(diff.body.b.requests)]).toEqual([
      big(checkout?.before.requests),
      big(checkout?.after.requests),
    ]);
    expect(diff.body.tree.scaled.a_total).toBeCloseTo(checkout?.before.value ?? Number.NaN, 6);
    expect(diff.body.tree.scaled.b_total).toBeCloseTo(checkout?.after.value ?? Number.NaN, 6);
  });

  it('refuses a missing service or window with a 400', async () => {
    for (const query of ['from=1&to=2', `service=s&from=${Date.now()}`]) {
      const reply = await getExact<{ error: { message: string } }>(`/v1/changes?${query}`);
      expect(reply.status).toBe(400);
    }
  });
});
