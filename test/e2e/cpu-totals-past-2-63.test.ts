import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { big, getBytes, getExact } from '../support/api.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';
import { spanRow } from '../support/span-rows.js';

/**
 * CPU totals past 2^63 ns (292 years: a large fleet over a long window). Three profiles each
 * carry just under 2^62 ns on one span and endpoint; every route must add them up exactly, not
 * wrap them negative in Int64.
 */
const tenant = 'test-a';
const MS = 1_000_000n;
const INT64_MAX = 2n ** 63n - 1n;
const huge = [0n, 1n, 2n].map((i) => 2n ** 62n - 10n * MS * (i + 1n));
const HUGE_TOTAL = huge.reduce((a, b) => a + b, 0n);
const SMALL_TOTAL = 3n * 10n * MS;
let deps: Deps;
let service: string;
let spanId: string;
let traceId: string;
let window: { from: string; to: string };

beforeAll(async () => {
  deps = testDeps();
  service = uniqueService('huge');
  const base = 5_000_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 2 ** 40));
  spanId = String(base);
  traceId = base.toString(16).padStart(32, '0');
  const startNs = BigInt(Date.now()) * MS;
  const ids: string[] = [];
  for (const value of huge) {
    const profile = buildCpuProfile({
      startNs,
      samples: [
        {
          stack: ['huge.work', 'main.main'],
          cpuNs: value,
          labels: { 'span id': spanId, 'trace endpoint': 'GET /huge' },
        },
        { stack: ['small.work', 'main.main'], cpuNs: 10n * MS, labels: { 'trace endpoint': 'GET /small' } },
      ],
    });
    const answer = await uploadProfile(profile, { service });
    expect(answer.status).toBe(202);
    ids.push(answer.body.profile_id ?? '');
  }
  await waitForCommittedProfiles(deps, tenant, ids);
  await deps.db.insert('spans', [
    spanRow({ tenant, traceId, spanId, parentId: '0', service, startNs, resource: 'GET /huge' }),
  ]);
  const start = Number(startNs / 1_000_000_000n);
  window = { from: String(start - 60), to: String(start + 600) };
}, 180_000);

afterAll(async () => {
  await deps.close();
});

type Num = number | bigint;

describe('CPU totals past 2^63 ns', () => {
  it('are exact in the endpoint view, largest first', async () => {
    const { body } = await getExact<{ total_cpu_ns: Num; endpoints: { endpoint: string; cpu_ns: Num }[] }>(
      `/v1/endpoints/cpu?${new URLSearchParams({ service, ...window })}`,
    );

    expect(big(body.total_cpu_ns)).toBe(HUGE_TOTAL + SMALL_TOTAL);
    expect(body.endpoints.map((e) => [e.endpoint, big(e.cpu_ns)])).toEqual([
      ['GET /huge', HUGE_TOTAL],
      ['GET /small', SMALL_TOTAL],
    ]);
  });

  it('are exact in the timeseries', async () => {
    const { body } = await getExact<{ total_cpu_ns: Num; series: { key: string; total_cpu_ns: Num }[] }>(
      `/v1/endpoints/timeseries?${new URLSearchParams({ service, ...window, step: '60' })}`,
    );

    expect(big(body.total_cpu_ns)).toBe(HUGE_TOTAL + SMALL_TOTAL);
    expect(body.series.map((s) => [s.key, big(s.total_cpu_ns)])).toEqual([
      ['GET /huge', HUGE_TOTAL],
      ['GET /small', SMALL_TOTAL],
    ]);
  });

  it('are exact in the service flame graph, as JSON, collapsed stacks and pprof', async () => {
    const params = new URLSearchParams({ service, ...window });
    const json = await getExact<{ total_cpu_ns: Num; tree: { value: Num } }>(`/v1/flamegraph?${params}`);
    const collapsed = await getBytes(`/v1/flamegraph?${params}&format=collapsed`);
    const pprof = await getBytes(`/v1/flamegraph?${params}&format=pprof`);

    const lines = collapsed.bytes.toString('utf8').trim().split('\n');
    const values = Profile.decode(gunzipSync(pprof.bytes)).sample.map((s) => BigInt(s.value[0] ?? 0));
    expect([big(json.body.total_cpu_ns), big(json.body.tree.value)]).toEqual([
      HUGE_TOTAL + SMALL_TOTAL,
      HUGE_TOTAL + SMALL_TOTAL,
    ]);
    expect(lines).toEqual([`main.main;huge.work ${HUGE_TOTAL}`, `main.main;small.work ${SMALL_TOTAL}`]);
    expect(values.every((v) => v <= INT64_MAX)).toBe(true);
    expect(values.reduce((a, b) => a + b, 0n)).toBe(HUGE_TOTAL + SMALL_TOTAL);
  });

  it('are exact for a span, its request and its trace', async () => {
    const hot = await getExact<{
      cpu_ns: Num;
      cpu_ns_with_children: Num;
      top_functions: { total: { total_ns: Num }[] };
    }>(`/v1/spans/${spanId}/hotspots`);
    const trace = await getExact<{ cpu_ns: Num; spans: { cpu_ns: Num; cpu_ns_with_children: Num }[] }>(
      `/v1/traces/${traceId}`,
    );
    const request = await getExact<{ total_cpu_ns: Num }>(`/v1/flamegraph?local_root_span_id=${spanId}`);

    expect([
      big(hot.body.cpu_ns),
      big(hot.body.cpu_ns_with_children),
      big(hot.body.top_functions.total[0]?.total_ns),
    ]).toEqual([HUGE_TOTAL, HUGE_TOTAL, HUGE_TOTAL]);
    expect([
      big(trace.body.cpu_ns),
      big(trace.body.spans[0]?.cpu_ns),
      big(trace.body.spans[0]?.cpu_ns_with_children),
    ]).toEqual([HUGE_TOTAL, HUGE_TOTAL, HUGE_TOTAL]);
    expect(big(request.body.total_cpu_ns)).toBe(HUGE_TOTAL);
  });
});
