import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { big, getExact } from '../support/api.js';
import { generateLabelledCpuProfile } from '../support/go-pprof.js';
import { buildCpuProfile, type ProfileSpec, type SampleSpec } from '../support/pprof-builder.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles, waitUntil } from '../support/services.js';
import { ddSpan, encodeV04 } from '../support/trace-payloads.js';

/**
 * GET /v1/endpoints/requests on the real stack: each listed request's CPU equals
 * `/v1/spans/{id}/hotspots`'s `cpu_ns_with_children`, the list is ranked by CPU in the window,
 * the heatmap's cells sum to the endpoint's request CPU, and with the unattributed part to the
 * endpoint's CPU of `/v1/endpoints/cpu`; durations and trace ids come from the trace intake.
 */
const tenant = 'test-a';
let deps: Deps;
let dir: string;
beforeAll(async () => {
  deps = testDeps();
  dir = await mkdtemp(path.join(tmpdir(), 'hotspots-requests-'));
});
afterAll(async () => {
  await deps.close();
  await rm(dir, { recursive: true, force: true });
});

type Num = number | bigint;
interface RequestsBody {
  total_value: Num;
  requests_value: Num;
  unattributed_value: Num;
  request_count: number;
  truncated: boolean;
  requests: {
    local_root_span_id: string;
    trace_id: string | null;
    value_in_window: Num;
    value: Num;
    cpu_ns: Num;
    span: { duration_ns: string; name: string } | null;
  }[];
  heatmap: { slots: { t: number; counts: number[]; values: Num[]; exemplars: ({ span_id: string } | null)[] }[] };
}

const randomId = () => (BigInt(`0x${randomBytes(8).toString('hex')}`) >> 2n || 1n).toString();

async function checkEndpoint(service: string, endpoint: string, window: Record<string, string>) {
  const query = new URLSearchParams({ ...window, service, endpoint, limit: '1000' });
  const answer = await getExact<RequestsBody>(`/v1/endpoints/requests?${query}`);
  expect(answer.status).toBe(200);
  const body = answer.body;
  // Ranked by CPU in the window, largest first.
  const values = body.requests.map((r) => big(r.value_in_window));
  expect(values).toEqual([...values].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  for (const request of body.requests) {
    const hotspots = await getExact<{ cpu_ns_with_children: Num }>(`/v1/spans/${request.local_root_span_id}/hotspots`);
    expect([request.local_root_span_id, big(request.cpu_ns)]).toEqual([
      request.local_root_span_id,
      big(hotspots.body.cpu_ns_with_children),
    ]);
  }
  // Heatmap cells sum to the requests' CPU; with the unattributed part, to the endpoint's CPU.
  const cells = body.heatmap.slots.flatMap((s) => s.values).reduce<bigint>((sum, v) => sum + big(v), 0n);
  const counted = body.heatmap.slots.flatMap((s) => s.counts).reduce((sum, c) => sum + c, 0);
  expect(cells).toBe(big(body.requests_value));
  expect(counted).toBe(body.request_count);
  expect(big(body.requests_value) + big(body.unattributed_value)).toBe(big(body.total_value));
  const cpu = await getExact<{ endpoints: { endpoint: string | null; cpu_ns: Num }[] }>(
    `/v1/endpoints/cpu?${new URLSearchParams({ ...window, service })}`,
  );
  expect(big(body.total_value)).toBe(big(cpu.body.endpoints.find((e) => e.endpoint === endpoint)?.cpu_ns));
  return body;
}

describe('GET /v1/endpoints/requests', () => {
  it('ranks generated requests by CPU, equal to their hotspots, with spans from the trace intake', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            request: fc.nat({ max: 5 }),
            child: fc.boolean(),
            ticks: fc.integer({ min: 1, max: 300 }),
            stack: fc.array(fc.constantFrom('main.main', 'h.a', 'h.b', 'json.Marshal'), { minLength: 1, maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        async (draws) => {
          const service = uniqueService('requests');
          const roots = Array.from({ length: 6 }, () => ({ root: randomId(), child: randomId() }));
          const endpointOf = (i: number) => (i % 3 === 2 ? 'POST /b' : 'GET /a');
          const now = BigInt(Date.now()) * 1_000_000n;
          const spec: ProfileSpec = { startNs: now - 120_000_000_000n, samples: [] };
          const expected = new Map<string, bigint>();
          for (const [n, d] of draws.entries()) {
            const ids = roots[d.request] ?? { root: '1', child: '2' };
            const sample: SampleSpec = { stack: d.stack, cpuNs: BigInt(d.ticks) * 10_000_003n };
            // Every fifth sample has the endpoint but no request label: unattributed.
            sample.labels =
              n % 5 === 4
                ? { 'trace endpoint': endpointOf(d.request) }
                : {
                    'span id': d.child ? ids.child : ids.root,
                    'local root span id': ids.root,
                    'trace endpoint': endpointOf(d.request),
                  };
            if (n % 5 !== 4 && endpointOf(d.request) === 'GET /a') {
              expected.set(ids.root, (expected.get(ids.root) ?? 0n) + sample.cpuNs);
            }
            spec.samples.push(sample);
          }
          const upload = await uploadProfile(buildCpuProfile(spec), { service });
          expect(upload.status).toBe(202);
          // The local roots' spans, so the list shows durations and trace ids.
          const traces = roots.map((r, i) =>
            ddSpan({
              trace_id: BigInt(r.root) + 7n,
              span_id: BigInt(r.root),
              service,
              resource: endpointOf(i),
              duration: BigInt(1000 + i) * 1_000_000n,
            }),
          );
          const sent = await fetch(`${inject('apiUrl')}/v0.4/traces`, {
            method: 'PUT',
            headers: { 'dd-api-key': inject('apiKey'), 'content-type': 'application/msgpack' },
            body: encodeV04(traces.map((t) => [t])),
          });
          expect(sent.status).toBe(200);
          await waitForCommittedProfiles(deps, tenant, [upload.body.profile_id ?? '']);
          const first = roots[0]?.root ?? '';
          await waitUntil('the root spans to be readable', async () =>
            (await getExact<{ span?: unknown }>(`/v1/spans/${first}/hotspots`)).body.span ? true : undefined,
          );
          const t = Math.floor(Date.now() / 1000);
          const body = await checkEndpoint(service, 'GET /a', { from: String(t - 3600), to: String(t + 600) });
          expect(new Map(body.requests.map((r) => [r.local_root_span_id, big(r.value_in_window)]))).toEqual(expected);
          for (const r of body.requests) {
            const i = roots.findIndex((x) => x.root === r.local_root_span_id);
            expect([r.trace_id, r.span?.duration_ns]).toEqual([
              (BigInt(r.local_root_span_id) + 7n).toString(16).padStart(32, '0'),
              String(BigInt(1000 + i) * 1_000_000n),
            ]);
          }
        },
      ),
      { numRuns: 4 },
    );
  }, 240_000);

  it('lists the requests of a real Go runtime profile with the CPU of their hotspots', async () => {
    const service = uniqueService('go-requests');
    const file = path.join(dir, 'cpu.pb.gz');
    const { labels } = await generateLabelledCpuProfile(file, {
      durationMs: 1500,
      idSalt: Math.floor(Math.random() * 2 ** 31),
    });
    const answer = await uploadProfile(await readFile(file), { service });
    expect(answer.status).toBe(202);
    await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id ?? '']);
    const t = Math.floor(Date.now() / 1000);
    const endpoints = [...new Set(labels.spans.map((s) => s.endpoint).filter((e): e is string => e !== null))];
    expect(endpoints.length).toBeGreaterThan(0);
    let listed = 0;
    for (const endpoint of endpoints) {
      listed += (await checkEndpoint(service, endpoint, { from: String(t - 3600), to: String(t + 600) })).requests
        .length;
    }
    expect(listed).toBeGreaterThan(0);
  }, 180_000);

  it('refuses a missing endpoint, a bad limit and a too fine step with a 400', async () => {
    const t = Math.floor(Date.now() / 1000);
    const base = { service: 's', from: String(t - 3600), to: String(t) };
    for (const [params, pattern] of [
      [base, /endpoint is required/],
      [{ ...base, endpoint: 'e', limit: '0' }, /limit must be/],
      [{ ...base, endpoint: 'e', step: '1', from: String(t - 86400 * 30) }, /step too small/],
    ] as const) {
      const reply = await getExact<{ error: { message: string } }>(
        `/v1/endpoints/requests?${new URLSearchParams(params as Record<string, string>)}`,
      );
      expect([reply.status, reply.body.error.message]).toEqual([400, expect.stringMatching(pattern)]);
    }
  });
});
