import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { big, getBytes, getExact } from '../support/api.js';
import {
  generateLabelledCpuProfile,
  pprofRawSamples,
  pprofTotalsByLabel,
  type RawSample,
} from '../support/go-pprof.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';
import { spanRow } from '../support/span-rows.js';

/**
 * The Code Hotspots answers, checked figure by figure against `go tool pprof` on a real Go
 * runtime CPU profile: per span, per local root (request), per endpoint, every flame-graph
 * node's total and self value, and the pprof export.
 */
interface Node {
  name: string;
  value: number | bigint;
  self: number | bigint;
  children: Node[];
}

interface FlameBody {
  total_cpu_ns: number | bigint;
  node_count: number;
  truncated: boolean;
  tree: Node;
}

const tenant = 'test-a';
let deps: Deps;
let file: string;
let service: string;
let samples: RawSample[];
let window: { from: string; to: string };
let profileStartNs: bigint;
let profileDurationNs: bigint;

/** path (root first, joined) → total and self, from any tree. */
function flatten(node: Node, prefix: string[] = [], into = new Map<string, { total: bigint; self: bigint }>()) {
  const path = [...prefix, node.name];
  const key = path.join(' > ');
  const seen = into.get(key) ?? { total: 0n, self: 0n };
  into.set(key, { total: seen.total + big(node.value), self: seen.self + big(node.self) });
  for (const child of node.children) flatten(child, path, into);
  return into;
}

/** The same map computed straight from go tool pprof's samples (stacks are leaf first there). */
function expectedTree(raw: RawSample[], keep: (s: RawSample) => boolean) {
  const out = new Map<string, { total: bigint; self: bigint }>();
  const add = (key: string, total: bigint, self: bigint) => {
    const seen = out.get(key) ?? { total: 0n, self: 0n };
    out.set(key, { total: seen.total + total, self: seen.self + self });
  };
  for (const sample of raw.filter(keep)) {
    const cpu = sample.values[1] ?? 0n;
    if (cpu === 0n) continue;
    const path = ['all', ...[...sample.stack].reverse()];
    for (let depth = 1; depth <= path.length; depth += 1) {
      add(path.slice(0, depth).join(' > '), cpu, depth === path.length ? cpu : 0n);
    }
  }
  // A node reached by no sample's end still exists with self 0: the flattening above covers it.
  return out;
}

const label = (s: RawSample, key: string) => s.labels[key]?.[0];

beforeAll(async () => {
  deps = testDeps();
  const dir = mkdtempSync(join(tmpdir(), 'hotspots-q-'));
  file = join(dir, 'cpu.pprof');
  await generateLabelledCpuProfile(file, { durationMs: 2500, idSalt: Math.floor(Math.random() * 2 ** 32) });
  samples = await pprofRawSamples(file);
  service = uniqueService('hotspots');
  const answer = await uploadProfile(readFileSync(file), { service, env: 'prod', version: '2.0.0' });
  await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id ?? '']);
  const rows = await deps.db.query<{ s: string; d: string }>(
    sql`SELECT toString(start_ns) AS s, toString(duration_ns) AS d FROM profiles WHERE tenant = ${tenant} AND profile_id = ${answer.body.profile_id ?? ''}`,
  );
  profileStartNs = BigInt(rows[0]?.s ?? '0');
  profileDurationNs = BigInt(rows[0]?.d ?? '0');
  const start = Number(profileStartNs / 1_000_000_000n);
  window = { from: String(start - 60), to: String(start + 600) };
}, 180_000);

afterAll(async () => {
  await deps.close();
});

describe('per span and per request CPU', () => {
  it('gives each span the CPU go tool pprof attributes to its span id label', async () => {
    const expected = await pprofTotalsByLabel(file, 'span id');
    expected.delete(null);
    expect(expected.size).toBeGreaterThanOrEqual(4);
    for (const [spanId, cpu] of expected) {
      const { status, body } = await getExact<{ cpu_ns: bigint | number }>(`/v1/spans/${spanId}/hotspots`);
      expect(status).toBe(200);
      expect({ spanId, cpu: big(body.cpu_ns) }).toEqual({ spanId, cpu });
    }
  });

  it('gives each local root the CPU of its whole request, spawned goroutines included', async () => {
    const expected = await pprofTotalsByLabel(file, 'local root span id');
    expected.delete(null);
    for (const [rootId, cpu] of expected) {
      const { body } = await getExact<{ cpu_ns_with_children: bigint | number; is_local_root: boolean }>(
        `/v1/spans/${rootId}/hotspots`,
      );
      expect({ rootId, root: body.is_local_root, cpu: big(body.cpu_ns_with_children) }).toEqual({
        rootId,
        root: true,
        cpu,
      });
    }
  });

  it('accepts a span id as 16 hex digits', async () => {
    const [spanId] = [...(await pprofTotalsByLabel(file, 'span id')).keys()].filter((k) => k !== null);
    const hex = BigInt(spanId ?? '0')
      .toString(16)
      .padStart(16, '0');
    const { status, body } = await getExact<{ span_id: string }>(`/v1/spans/${hex}/hotspots`);
    expect(status).toBe(200);
    expect(body.span_id).toBe(spanId);
  });

  it('lists top functions by self and total time consistent with the span total', async () => {
    const root = samples.find((s) => label(s, 'local root span id') !== undefined);
    const spanId = label(root as RawSample, 'span id');
    const { body } = await getExact<{
      cpu_ns: bigint | number;
      top_functions: { self: { function: string; self_ns: number }[]; total: { total_ns: number }[] };
    }>(`/v1/spans/${spanId}/hotspots`);
    expect(body.top_functions.self[0]?.function).toBe('main.spin');
    expect(big(body.top_functions.total[0]?.total_ns)).toBe(big(body.cpu_ns));
  });

  it('answers 404 for a span nobody has seen', async () => {
    const { status } = await getExact('/v1/spans/123456789/hotspots');
    expect(status).toBe(404);
  });

  it('answers 400 for a span id that is not an id', async () => {
    const { status } = await getExact('/v1/spans/not-an-id/hotspots');
    expect(status).toBe(400);
  });
});

describe('spans with trace data', () => {
  it('reports unexplained time, coverage by a CPU profile, and the trace waterfall', async () => {
    const root = samples.find(
      (s) => label(s, 'local root span id') !== undefined && label(s, 'span id') === label(s, 'local root span id'),
    );
    const rootId = label(root as RawSample, 'span id') ?? '';
    const traceId = '0000000000000000'.concat(BigInt(rootId).toString(16).padStart(16, '0'));
    const rootCpu = (await pprofTotalsByLabel(file, 'local root span id')).get(rootId) ?? 0n;
    // The root span lasts the whole profile; an uncovered sibling starts after the profile ended.
    const span = (id: string, parent: string, startNs: bigint, durationNs: bigint) =>
      spanRow({
        tenant,
        traceId,
        spanId: id,
        parentId: parent,
        service,
        startNs,
        durationNs,
        name: 'http.request',
        resource: 'GET /x',
        env: 'prod',
        version: '2.0.0',
      });
    const lateStart = profileStartNs + profileDurationNs + 5_000_000_000n;
    await deps.db.insert('spans', [
      span(rootId, '0', profileStartNs, profileDurationNs),
      span('4711', rootId, lateStart, 20_000_000n),
    ]);

    const hot = await getExact<{
      profiled: boolean;
      profile_coverage: number;
      unexplained_ns: number | bigint;
      span: { duration_ns: number | bigint };
    }>(`/v1/spans/${rootId}/hotspots`);
    expect(hot.body.profiled).toBe(true);
    expect(hot.body.profile_coverage).toBe(1);
    expect(big(hot.body.unexplained_ns)).toBe(profileDurationNs > rootCpu ? profileDurationNs - rootCpu : 0n);

    const uncovered = await getExact<{ profiled: boolean; cpu_ns: number }>('/v1/spans/4711/hotspots');
    expect([uncovered.body.profiled, uncovered.body.cpu_ns]).toEqual([false, 0]);

    const trace = await getExact<{
      spans: { span_id: string; cpu_ns_with_children: number | bigint | null; profiled: boolean }[];
    }>(`/v1/traces/${traceId}`);
    expect(trace.status).toBe(200);
    expect(trace.body.spans.map((s) => [s.span_id, big(s.cpu_ns_with_children), s.profiled])).toEqual([
      [rootId, rootCpu, true],
      ['4711', 0n, false],
    ]);
  });

  it('answers 404 for an unknown trace and 400 for a malformed trace id', async () => {
    expect((await getExact('/v1/traces/00000000000000000000000000abcdef')).status).toBe(404);
    expect((await getExact('/v1/traces/xyz')).status).toBe(400);
  });
});

describe('GET /v1/flamegraph', () => {
  it('matches every node total and self value of go tool pprof for the service window', async () => {
    const { body } = await getExact<FlameBody>(`/v1/flamegraph?${new URLSearchParams({ service, ...window })}`);
    expect(flatten(body.tree)).toEqual(expectedTree(samples, () => true));
  });

  it('matches go tool pprof for one request (local root), spawned goroutines included', async () => {
    const rootId = samples.map((s) => label(s, 'local root span id')).find((r) => r !== undefined) ?? '';
    const { body } = await getExact<FlameBody>(`/v1/flamegraph?local_root_span_id=${rootId}`);
    expect(flatten(body.tree)).toEqual(expectedTree(samples, (s) => label(s, 'local root span id') === rootId));
  });

  it('matches go tool pprof -tagfocus for a window filtered to two endpoints', async () => {
    const endpoints = [...new Set(samples.map((s) => label(s, 'trace endpoint')).filter((e) => e !== undefined))].slice(
      0,
      2,
    ) as string[];
    const query = new URLSearchParams({ service, ...window });
    for (const e of endpoints) query.append('endpoint', e);
    const { body } = await getExact<FlameBody>(`/v1/flamegraph?${query}`);
    expect(flatten(body.tree)).toEqual(
      expectedTree(samples, (s) => endpoints.includes(label(s, 'trace endpoint') ?? '\u0000')),
    );
  });

  it('exports a pprof that go tool pprof opens, with the same stacks and total as the JSON', async () => {
    const params = new URLSearchParams({ service, ...window });
    const json = await getExact<FlameBody>(`/v1/flamegraph?${params}`);
    const { status, bytes } = await getBytes(`/v1/flamegraph?${params}&format=pprof`);
    expect(status).toBe(200);
    const exported = join(mkdtempSync(join(tmpdir(), 'hotspots-export-')), 'export.pprof.gz');
    writeFileSync(exported, bytes);

    const reread = await pprofRawSamples(exported);
    // The export has one sample type (cpu/nanoseconds): shape it like the original's cpu column.
    const asCpu = reread.map((s) => ({ ...s, values: [0n, s.values[0] ?? 0n] }));
    expect(expectedTree(asCpu, () => true)).toEqual(flatten(json.body.tree));
    expect(asCpu.reduce((sum, s) => sum + (s.values[1] ?? 0n), 0n)).toBe(big(json.body.total_cpu_ns));
  });

  it('writes collapsed stacks whose values add up to the total', async () => {
    const params = new URLSearchParams({ service, ...window });
    const json = await getExact<FlameBody>(`/v1/flamegraph?${params}`);
    const { bytes } = await getBytes(`/v1/flamegraph?${params}&format=collapsed`);
    const lines = bytes.toString('utf8').trim().split('\n');
    const sum = lines.reduce((acc, line) => acc + BigInt(line.slice(line.lastIndexOf(' ') + 1)), 0n);
    expect(sum).toBe(big(json.body.total_cpu_ns));
  });

  it('bounds the tree to max_nodes without changing the total or the sum of self values', async () => {
    const { body } = await getExact<FlameBody>(
      `/v1/flamegraph?${new URLSearchParams({ service, ...window, max_nodes: '6' })}`,
    );
    const selfSum = [...flatten(body.tree).values()].reduce((a, b) => a + b.self, 0n);
    expect(body.node_count).toBeLessThanOrEqual(6);
    expect(body.truncated).toBe(true);
    expect([big(body.tree.value), selfSum]).toEqual([big(body.total_cpu_ns), big(body.total_cpu_ns)]);
  });

  it('refuses two selectors at once and unknown formats', async () => {
    expect((await getExact('/v1/flamegraph?span_id=1&trace_id=2')).status).toBe(400);
    expect(
      (await getExact(`/v1/flamegraph?${new URLSearchParams({ service, ...window, format: 'svg' })}`)).status,
    ).toBe(400);
  });
});

describe('endpoints over time and across versions', () => {
  it('has timeseries totals equal to the endpoint view over the same window', async () => {
    const params = new URLSearchParams({ service, ...window });
    const cpu = await getExact<{ total_cpu_ns: number; endpoints: { endpoint: string | null; cpu_ns: number }[] }>(
      `/v1/endpoints/cpu?${params}`,
    );
    const series = await getExact<{
      total_cpu_ns: number;
      series: { key: string | null; total_cpu_ns: number; points: { cpu_ns: number }[] }[];
    }>(`/v1/endpoints/timeseries?${params}&step=60`);
    expect(big(series.body.total_cpu_ns)).toBe(big(cpu.body.total_cpu_ns));
    const fromSeries = new Map(
      series.body.series.map((s) => [s.key, s.points.reduce((a, p) => a + big(p.cpu_ns), 0n)]),
    );
    expect(fromSeries).toEqual(new Map(cpu.body.endpoints.map((e) => [e.endpoint, big(e.cpu_ns)])));
  });

  it('groups by version for deploy comparisons', async () => {
    const { body } = await getExact<{ series: { key: string; total_cpu_ns: number }[]; total_cpu_ns: number }>(
      `/v1/endpoints/timeseries?${new URLSearchParams({ service, ...window, group_by: 'version', step: '300' })}`,
    );
    expect(body.series.map((s) => s.key)).toEqual(['2.0.0']);
    expect(big(body.series[0]?.total_cpu_ns)).toBe(big(body.total_cpu_ns));
  });

  it('filters the endpoint view by version and env', async () => {
    const other = await getExact<{ total_cpu_ns: number }>(
      `/v1/endpoints/cpu?${new URLSearchParams({ service, ...window, version: '1.0.0' })}`,
    );
    const same = await getExact<{ total_cpu_ns: number }>(
      `/v1/endpoints/cpu?${new URLSearchParams({ service, ...window, env: 'prod', version: '2.0.0' })}`,
    );
    expect(big(other.body.total_cpu_ns)).toBe(0n);
    expect(big(same.body.total_cpu_ns)).toBeGreaterThan(0n);
  });

  it('refuses a step that would give too many points', async () => {
    const { status, body } = await getExact<{ error: { message: string } }>(
      `/v1/endpoints/timeseries?${new URLSearchParams({ service, from: '0', to: '86400', step: '1' })}`,
    );
    expect(status).toBe(400);
    expect(body.error.message).toContain('points');
  });

  it('lists the service and its endpoints', async () => {
    const services = await getExact<{ services: { service: string; profiles: number }[] }>('/v1/services');
    expect(services.body.services.find((s) => s.service === service)?.profiles).toBe(1);
    const endpoints = await getExact<{ endpoints: { endpoint: string | null }[] }>(
      `/v1/endpoints?${new URLSearchParams({ service, ...window })}`,
    );
    const expected = [...(await pprofTotalsByLabel(file, 'trace endpoint')).keys()].sort();
    expect(endpoints.body.endpoints.map((e) => e.endpoint).sort()).toEqual(expected);
  });
});

describe('requests of tracers that label samples with span ids only (dd-trace-go ≥ 2.11)', () => {
  it('counts a local root request as its same-service subtree of spans', async () => {
    const base = 7_000_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 2 ** 40)) * 8n;
    const [root, child, remote] = [base, base + 1n, base + 2n].map(String) as [string, string, string];
    const svc = uniqueService('spanonly');
    const startNs = BigInt(Date.now()) * 1_000_000n;
    const profile = buildCpuProfile({
      startNs,
      samples: [
        { stack: ['main.handler'], cpuNs: 30_000_000n, labels: { 'span id': root, 'trace endpoint': 'GET /work' } },
        { stack: ['json.Marshal'], cpuNs: 50_000_000n, labels: { 'span id': child, 'trace endpoint': 'GET /work' } },
        { stack: ['other.service'], cpuNs: 70_000_000n, labels: { 'span id': remote } },
      ],
    });
    const answer = await uploadProfile(profile, { service: svc });
    await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id ?? '']);
    const traceId = base.toString(16).padStart(32, '0');
    const span = (id: string, parent: string, service: string) =>
      spanRow({ tenant, traceId, spanId: id, parentId: parent, service, startNs, resource: 'GET /work' });
    await deps.db.insert('spans', [span(root, '0', svc), span(child, root, svc), span(remote, child, `${svc}-db`)]);

    const hot = await getExact<{ is_local_root: boolean; cpu_ns: number; cpu_ns_with_children: number }>(
      `/v1/spans/${root}/hotspots`,
    );
    const trace = await getExact<{ spans: { span_id: string; cpu_ns_with_children: number | null }[] }>(
      `/v1/traces/${traceId}`,
    );

    expect([hot.body.is_local_root, big(hot.body.cpu_ns), big(hot.body.cpu_ns_with_children)]).toEqual([
      true,
      30_000_000n,
      80_000_000n,
    ]);
    const flame = await getExact<{ total_cpu_ns: number }>(`/v1/flamegraph?local_root_span_id=${root}`);
    expect(big(flame.body.total_cpu_ns)).toBe(80_000_000n);
    expect(
      trace.body.spans.map((s) => [s.span_id, s.cpu_ns_with_children === null ? null : big(s.cpu_ns_with_children)]),
    ).toEqual([
      [root, 80_000_000n],
      [child, null],
      [remote, 70_000_000n],
    ]);
  });
});
