import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { createUseCases } from '../../shared/app/use-cases.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import { big, getExact } from '../support/api.js';
import { buildCpuProfile, type SampleSpec } from '../support/pprof-builder.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';
import { spanRow } from '../support/span-rows.js';

/**
 * A request of 10,000 spans from a tracer that labels samples with span ids only (dd-trace-go
 * ≥ 2.11): its CPU is found through the span tree, and every one of its spans must count, exactly.
 */
const tenant = 'test-a';
const REQUEST_SPANS = 10_000;
const MS = 1_000_000n;
let deps: Deps;
let service: string;
let rootId: string;
let traceId: string;
let expectedRequestCpu = 0n;

beforeAll(async () => {
  deps = testDeps();
  service = uniqueService('bigrequest');
  const base = 6_000_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 2 ** 40)) * 100_000n;
  const id = (n: number) => String(base + BigInt(n));
  rootId = id(0);
  traceId = base.toString(16).padStart(32, '0');
  const startNs = BigInt(Date.now()) * MS;

  // The request: a root and 9,999 descendants in a ternary tree, all in `service`.
  const spans: { id: string; parent: string; service: string }[] = [{ id: rootId, parent: '0', service }];
  for (let n = 1; n < REQUEST_SPANS; n += 1) spans.push({ id: id(n), parent: id(Math.floor((n - 1) / 3)), service });
  // Outside it: calls to another service, and a second request of `service` under one of them.
  for (let n = 0; n < 50; n += 1) spans.push({ id: id(20_000 + n), parent: id(n * 7), service: `${service}-db` });
  spans.push({ id: id(30_000), parent: id(20_000), service });

  const samples: SampleSpec[] = spans.map((span, n) => {
    const cpuNs = 10n * MS * BigInt(1 + (n % 7));
    if (span.service === service && n < REQUEST_SPANS) expectedRequestCpu += cpuNs;
    return { stack: [`work.step${n % 5}`, 'main.handler'], cpuNs, labels: { 'span id': span.id } };
  });
  const answer = await uploadProfile(buildCpuProfile({ startNs, samples }), { service });
  expect(answer.status).toBe(202);
  await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id ?? '']);
  await deps.db.insert(
    'spans',
    spans.map((span) =>
      spanRow({
        tenant,
        traceId,
        spanId: span.id,
        parentId: span.parent,
        service: span.service,
        startNs,
        resource: 'GET /big',
      }),
    ),
  );
}, 180_000);

afterAll(async () => {
  await deps.close();
});

describe('a request of 10,000 spans labelled with span ids only', () => {
  it('answers span hotspots with the exact CPU of the whole request', async () => {
    const { status, body } = await getExact<{ is_local_root: boolean; cpu_ns_with_children: number | bigint }>(
      `/v1/spans/${rootId}/hotspots`,
    );

    expect([status, body.is_local_root, big(body.cpu_ns_with_children)]).toEqual([200, true, expectedRequestCpu]);
  });

  it('answers the request flame graph with the exact total', async () => {
    const { status, body } = await getExact<{ total_cpu_ns: number | bigint; tree: { value: number | bigint } }>(
      `/v1/flamegraph?local_root_span_id=${rootId}`,
    );

    expect([status, big(body.total_cpu_ns), big(body.tree.value)]).toEqual([
      200,
      expectedRequestCpu,
      expectedRequestCpu,
    ]);
  });

  it('answers 422 naming the limit when the trace holds more spans of the service than HOTSPOTS_MAX_REQUEST_SPANS', async () => {
    const limited = testDeps({ HOTSPOTS_MAX_REQUEST_SPANS: String(REQUEST_SPANS) });
    try {
      const error = await createUseCases(limited)
        .spanHotspots(tenant, rootId)
        .then(
          () => undefined,
          (e: unknown) => e,
        );

      expect(error).toBeInstanceOf(HotspotsError);
      expect([(error as HotspotsError).status, (error as HotspotsError).message]).toEqual([
        422,
        expect.stringContaining(`more than ${REQUEST_SPANS} spans of service "${service}"`),
      ]);
    } finally {
      await limited.close();
    }
  });
});

describe('the trace view of that request, truncated', () => {
  it('still gives the local root the CPU of its whole request, read from every span of the trace', async () => {
    // 100 spans shown of 10,051: the root's request reaches far beyond what the view lists.
    const limited = testDeps({ HOTSPOTS_MAX_RESULT_ROWS: '100' });
    try {
      const view = await createUseCases(limited).traceView(tenant, traceId);
      const root = view.spans.find((s) => s.span_id === rootId);

      expect([view.truncated, view.spans.length, root?.cpu_ns_with_children]).toEqual([true, 100, expectedRequestCpu]);
    } finally {
      await limited.close();
    }
  });

  it('answers no request CPU, rather than a smaller one, when the trace holds more spans than HOTSPOTS_MAX_REQUEST_SPANS', async () => {
    const limited = testDeps({ HOTSPOTS_MAX_RESULT_ROWS: '100', HOTSPOTS_MAX_REQUEST_SPANS: String(REQUEST_SPANS) });
    try {
      const view = await createUseCases(limited).traceView(tenant, traceId);

      expect(view.spans.find((s) => s.span_id === rootId)?.cpu_ns_with_children).toBeNull();
    } finally {
      await limited.close();
    }
  });
});

describe('a trace of 10,000 spans in 10,000 services', () => {
  it('answers the trace view: its services go to ClickHouse as a set, not as SQL text', async () => {
    // A tenant of its own: 10,000 services would crowd every other test's service list.
    const ownTenant = uniqueService('tenant-many-services');
    const base = 4_000_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 2 ** 40)) * 100_000n;
    const traceId = base.toString(16).padStart(32, '0');
    const startNs = BigInt(Date.now()) * MS;
    // 40-character names: 10,000 of them quoted in a list would pass max_query_size (256 KiB).
    const names = Array.from({ length: REQUEST_SPANS }, (_, n) => `service-${String(n).padStart(32, '0')}`);
    await deps.db.insert(
      'spans',
      names.map((name, n) =>
        spanRow({
          tenant: ownTenant,
          traceId,
          spanId: String(base + BigInt(n)),
          parentId: n === 0 ? '0' : String(base),
          service: name,
          startNs,
          durationNs: 1000n,
          resource: 'r',
        }),
      ),
    );

    const view = await createUseCases(deps).traceView(ownTenant, traceId);

    expect(new Set(view.spans.map((s) => s.service)).size).toBe(REQUEST_SPANS);
  });
});
