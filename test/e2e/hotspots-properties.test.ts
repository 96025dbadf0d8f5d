import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { big, getExact } from '../support/api.js';
import { buildCpuProfile, type ProfileSpec, type SampleSpec } from '../support/pprof-builder.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';

/**
 * Properties of the query routes on generated profiles, through HTTP and the real stack:
 * endpoint totals sum to the service total; timeseries sums equal the endpoint view; a span's
 * CPU never exceeds its local root's; filtering by every endpoint equals no filter minus the
 * unlabelled CPU.
 */
const tenant = 'test-a';
let deps: Deps;
beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

const endpointPool = ['GET /a', 'POST /b', `PUT /c/"q"/it's`, 'GET /日本', 'DELETE /x;y'];
const functionPool = ['main.main', 'net/http.serve', 'json.Marshal', 'crypto.sha256', 'runtime.mallocgc'];

/** Requests: a local root span with its endpoint and child spans, all ids unique per run. */
const requestArb = fc.record({
  endpoint: fc.option(fc.constantFrom(...endpointPool), { nil: undefined }),
  children: fc.integer({ min: 0, max: 2 }),
});

function specsFrom(
  requests: { endpoint: string | undefined; children: number }[],
  draws: { request: number; child: number; stack: string[]; ticks: number }[],
  profiles: number,
  base: bigint,
): { specs: ProfileSpec[]; spans: { span: string; root: string }[] } {
  const spans: { span: string; root: string }[] = [];
  const ids = requests.map((r, i) => {
    const root = (base + BigInt(i) * 16n).toString();
    const children = Array.from({ length: r.children }, (_, c) => (base + BigInt(i) * 16n + BigInt(c + 1)).toString());
    spans.push({ span: root, root }, ...children.map((span) => ({ span, root })));
    return { root, children, endpoint: r.endpoint };
  });
  const now = BigInt(Date.now()) * 1_000_000n;
  const specs: ProfileSpec[] = Array.from({ length: profiles }, (_, p) => ({
    startNs: now - BigInt(p) * 600_000_000_000n,
    samples: [],
  }));
  draws.forEach((draw, n) => {
    const request = ids[draw.request % Math.max(ids.length, 1)];
    const sample: SampleSpec = { stack: draw.stack, cpuNs: BigInt(draw.ticks) * 10_000_000n };
    if (request && n % 5 !== 0) {
      const span =
        draw.child === 0 || request.children.length === 0
          ? request.root
          : request.children[(draw.child - 1) % request.children.length];
      sample.labels = { 'span id': span ?? request.root, 'local root span id': request.root };
      if (request.endpoint !== undefined) sample.labels['trace endpoint'] = request.endpoint;
    }
    specs[n % profiles]?.samples.push(sample);
  });
  return { specs: specs.filter((s) => s.samples.length > 0), spans };
}

interface CpuBody {
  total_cpu_ns: number | bigint;
  endpoints: { endpoint: string | null; cpu_ns: number | bigint }[];
}

describe('query properties on generated profiles', () => {
  it('hold for every generated service', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(requestArb, { minLength: 1, maxLength: 5 }),
        fc.array(
          fc.record({
            request: fc.nat(),
            child: fc.nat({ max: 3 }),
            stack: fc.array(fc.constantFrom(...functionPool), { minLength: 1, maxLength: 4 }),
            ticks: fc.integer({ min: 1, max: 500 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 3 }),
        async (requests, draws, profiles) => {
          const base = BigInt(Math.floor(Math.random() * 2 ** 40)) * 1024n + (1n << 53n);
          const { specs, spans } = specsFrom(requests, draws, profiles, base);
          const service = uniqueService('prop');
          const ids: string[] = [];
          for (const spec of specs) {
            const answer = await uploadProfile(buildCpuProfile(spec), { service });
            ids.push(answer.body.profile_id ?? '');
          }
          await waitForCommittedProfiles(deps, tenant, ids);
          const now = Math.floor(Date.now() / 1000);
          const window = { service, from: String(now - 4 * 3600), to: String(now + 600) };

          // Endpoint totals sum to the service total, which is the CPU of every sample.
          const cpu = (await getExact<CpuBody>(`/v1/endpoints/cpu?${new URLSearchParams(window)}`)).body;
          const expectedTotal = specs.flatMap((s) => s.samples).reduce((sum, s) => sum + s.cpuNs, 0n);
          expect(cpu.endpoints.reduce((sum, e) => sum + big(e.cpu_ns), 0n)).toBe(big(cpu.total_cpu_ns));
          expect(big(cpu.total_cpu_ns)).toBe(expectedTotal);

          // Timeseries sums equal the endpoint view, per endpoint.
          const series = (
            await getExact<{ series: { key: string | null; points: { cpu_ns: number | bigint }[] }[] }>(
              `/v1/endpoints/timeseries?${new URLSearchParams({ ...window, step: '300' })}`,
            )
          ).body.series;
          const bySeries = new Map(series.map((s) => [s.key, s.points.reduce((sum, p) => sum + big(p.cpu_ns), 0n)]));
          expect(bySeries).toEqual(new Map(cpu.endpoints.map((e) => [e.endpoint, big(e.cpu_ns)])));

          // A span's CPU never exceeds its local root's (the request's) CPU.
          for (const { span, root } of spans) {
            const spanCpu = (await getExact<{ cpu_ns: number | bigint }>(`/v1/spans/${span}/hotspots`)).body.cpu_ns;
            const rootCpu = (await getExact<{ cpu_ns_with_children: number | bigint }>(`/v1/spans/${root}/hotspots`))
              .body.cpu_ns_with_children;
            expect(big(spanCpu)).toBeLessThanOrEqual(big(rootCpu));
          }

          // Filtering by every endpoint equals no filter minus the unlabelled CPU.
          const labelled = cpu.endpoints.filter((e) => e.endpoint !== null).map((e) => e.endpoint as string);
          const unlabelled = big(cpu.endpoints.find((e) => e.endpoint === null)?.cpu_ns);
          const query = new URLSearchParams(window);
          for (const e of labelled) query.append('endpoint', e);
          const filtered = (await getExact<{ total_cpu_ns: number | bigint }>(`/v1/flamegraph?${query}`)).body;
          expect(big(filtered.total_cpu_ns)).toBe(
            labelled.length === 0 ? big(cpu.total_cpu_ns) : big(cpu.total_cpu_ns) - unlabelled,
          );
        },
      ),
      { numRuns: 6 },
    );
  });
});
