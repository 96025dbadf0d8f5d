import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import {
  generateLabelledCpuProfile,
  type LabelledCpuLabels,
  pprofRaw,
  pprofTagTotals,
  pprofTotalsByLabel,
  type RawProfile,
} from '../support/go-pprof.js';
import { buildMultipart, eventPart, filePart } from '../support/multipart-builder.js';
import {
  callWithGoClient,
  type FlameGraphMessage,
  flameGraphPaths,
  seriesTotalsBy,
} from '../support/pyroscope-query.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';

/**
 * Grafana's view of Hotspots: the Pyroscope query API called by the official Connect client
 * (test/go/pyroscope-query-client, built as Grafana's Pyroscope datasource builds it) on real Go
 * runtime CPU profiles uploaded through each intake (POST /v1/profiles, the Datadog intake,
 * Pyroscope's /ingest). Every figure is compared with what `go tool pprof` reads from the same
 * file, to the nanosecond.
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const tenant = 'test-a';

let deps: Deps;
const now = Date.now();
const window = { start: String(now - 3_600_000), end: String(now + 3_600_000) };

interface Uploaded {
  service: string;
  file: string;
  labels: LabelledCpuLabels;
  raw: RawProfile;
}

/** Each intake takes the real Go profile as its agent sends it; the answer is the profile ids to wait for. */
const intakes: Record<string, (service: string, profile: Buffer) => Promise<string[]>> = {
  '/v1/profiles': async (service, profile) => {
    const answer = await uploadProfile(profile, { service });
    expect(answer.status).toBe(202);
    return [answer.body.profile_id ?? ''];
  },
  'the Datadog intake (/profiling/v1/input)': async (service, profile) => {
    const body = buildMultipart([
      filePart('cpu.pprof', profile),
      eventPart({
        start: new Date(now - 60_000).toISOString(),
        end: new Date(now).toISOString(),
        attachments: ['cpu.pprof'],
        tags_profiler: `service:${service},env:e2e,runtime-id:${randomUUID()},runtime:go`,
        family: 'go',
        version: '4',
      }),
    ]);
    const answer = await fetch(`${inject('apiUrl')}/profiling/v1/input`, {
      method: 'POST',
      headers: { 'content-type': body.contentType, 'dd-api-key': inject('apiKey') },
      body: body.body,
    });
    expect(answer.status).toBe(202);
    return ((await answer.json()) as { profiles: { profile_id: string }[] }).profiles.map((p) => p.profile_id);
  },
  'the Pyroscope intake (/ingest)': async (service, profile) => {
    const query = new URLSearchParams({
      name: service,
      from: String(Math.floor(now / 1000) - 10),
      until: String(Math.floor(now / 1000)),
      format: 'pprof',
    });
    const answer = await fetch(`${inject('apiUrl')}/ingest?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${inject('apiKey')}` },
      body: profile,
    });
    expect(answer.status).toBe(200);
    return [((await answer.json()) as { profile_id: string }).profile_id];
  },
};

beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

async function uploadRealProfile(intake: string): Promise<Uploaded> {
  const file = join(mkdtempSync(join(tmpdir(), 'hotspots-pyroscope-query-')), 'cpu.pprof');
  const { labels } = await generateLabelledCpuProfile(file, {
    durationMs: 2000,
    idSalt: Math.floor(Math.random() * 2 ** 32),
  });
  const service = uniqueService('grafana');
  const ids = await (intakes[intake] as (typeof intakes)[string])(service, readFileSync(file));
  await waitForCommittedProfiles(deps, tenant, ids);
  return { service, file, labels, raw: await pprofRaw(file) };
}

/** Root-first collapsed stacks of the samples `keep` selects, with their exact CPU (go tool pprof -raw). */
function expectedPathsOf(raw: RawProfile, keep: (labels: Record<string, string>) => boolean): Map<string, bigint> {
  const cpu = raw.sampleTypes.findIndex((t) => t.type === 'cpu');
  const paths = new Map<string, bigint>();
  for (const sample of raw.samples) {
    const flat = Object.fromEntries(Object.entries(sample.labels).map(([k, v]) => [k, v.join(' ')]));
    const value = sample.values[cpu] ?? 0n;
    if (!keep(flat) || value === 0n) continue;
    const key = [...sample.stack].reverse().join(';');
    paths.set(key, (paths.get(key) ?? 0n) + value);
  }
  return paths;
}

const sum = (values: Iterable<bigint>) => [...values].reduce((a, b) => a + b, 0n);
const hex = (decimal: string) => BigInt(decimal).toString(16).padStart(16, '0');

function flameGraph(result: { response?: { flamegraph?: FlameGraphMessage }; error?: unknown }): FlameGraphMessage {
  expect(result.error).toBeUndefined();
  return result.response?.flamegraph as FlameGraphMessage;
}

describe.each(Object.keys(intakes))(
  'the Pyroscope query API through the official Go Connect client, profile sent to %s',
  (intake) => {
    let service: string;
    let file: string;
    let labels: LabelledCpuLabels;
    let raw: RawProfile;
    const expectedPaths = (keep: (labels: Record<string, string>) => boolean) => expectedPathsOf(raw, keep);
    beforeAll(async () => {
      ({ service, file, labels, raw } = await uploadRealProfile(intake));
    });

    it('answers the datasource health check and lists the CPU profile type', async () => {
      const [health, types, lastHour] = await callWithGoClient([
        { method: 'ProfileTypes', request: { start: '1000', end: '4000' } },
        { method: 'ProfileTypes', request: window },
        // Older Grafana sends no window: the last hour, as Pyroscope reads it.
        { method: 'ProfileTypes', request: {} },
      ]);
      expect(lastHour?.response?.profileTypes).toEqual(types?.response?.profileTypes);
      expect(health?.error).toBeUndefined();
      expect(health?.response?.profileTypes).toEqual([]);
      expect(types?.response?.profileTypes).toContainEqual({
        ID: CPU,
        name: 'process_cpu',
        sampleType: 'cpu',
        sampleUnit: 'nanoseconds',
        periodType: 'cpu',
        periodUnit: 'nanoseconds',
      });
    });

    it('lists label names in the sanitised form selectors accept, and their values', async () => {
      const selector = `{service_name="${service}"}`;
      const [names, endpoints, services, spanIds] = await callWithGoClient([
        { method: 'LabelNames', request: { matchers: [selector], ...window } },
        { method: 'LabelValues', request: { name: 'trace_endpoint', matchers: [selector], ...window } },
        { method: 'LabelValues', request: { name: 'service_name', matchers: [selector], ...window } },
        { method: 'LabelValues', request: { name: 'span_id', matchers: [selector], ...window } },
      ]);
      expect(names?.response?.names).toEqual(
        expect.arrayContaining(['service_name', 'span_id', 'local_root_span_id', 'trace_endpoint', '__profile_type__']),
      );
      const fromPprof = await pprofTotalsByLabel(file, 'trace endpoint');
      expect(new Set(endpoints?.response?.names)).toEqual(new Set([...fromPprof.keys()].filter((k) => k !== null)));
      expect(services?.response?.names).toEqual([service]);
      expect(new Set(spanIds?.response?.names)).toEqual(new Set(labels.spans.map((s) => s.span_id)));
    });

    it('gives the service flame graph: every stack and the total equal go tool pprof -raw', async () => {
      const [result] = await callWithGoClient([
        {
          method: 'SelectMergeStacktraces',
          request: { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, ...window },
        },
      ]);
      const graph = flameGraph(result ?? {});
      const expected = expectedPaths(() => true);
      expect(flameGraphPaths(graph)).toEqual(expected);
      expect(BigInt(graph.total)).toBe(sum(expected.values()));
      const tags = await pprofTagTotals(file, 'trace endpoint');
      expect(BigInt(graph.total)).toBe(sum(tags.values()));
    });

    it('filters by endpoint (trace_endpoint) and by regular expression, exactly', async () => {
      const totals = await pprofTotalsByLabel(file, 'trace endpoint');
      const endpoint = [...totals.keys()].find((k) => k !== null) as string;
      const [exact, negated, regex] = await callWithGoClient([
        {
          method: 'SelectMergeStacktraces',
          request: {
            profileTypeID: CPU,
            labelSelector: `{service_name="${service}", trace_endpoint=${JSON.stringify(endpoint)}}`,
            ...window,
          },
        },
        {
          method: 'SelectMergeStacktraces',
          request: {
            profileTypeID: CPU,
            labelSelector: `{service_name="${service}", trace_endpoint!=${JSON.stringify(endpoint)}}`,
            ...window,
          },
        },
        {
          method: 'SelectMergeStacktraces',
          request: {
            profileTypeID: CPU,
            labelSelector: `{service_name=~"${service}|nothing", trace_endpoint=~".+"}`,
            ...window,
          },
        },
      ]);
      expect(flameGraphPaths(flameGraph(exact ?? {}))).toEqual(expectedPaths((l) => l['trace endpoint'] === endpoint));
      expect(flameGraphPaths(flameGraph(negated ?? {}))).toEqual(
        expectedPaths((l) => l['trace endpoint'] !== endpoint),
      );
      expect(BigInt(flameGraph(regex ?? {}).total)).toBe(
        sum([...totals].filter(([k]) => k !== null).map(([, v]) => v)),
      );
    });

    it('selects one span and two spans by span_selector (16 hex digits), exactly', async () => {
      const bySpan = await pprofTotalsByLabel(file, 'span id');
      const [first, second] = [...bySpan.keys()].filter((k): k is string => k !== null);
      expect(second).toBeDefined();
      const request = (spans: string[]) => ({
        method: 'SelectMergeStacktraces',
        request: { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, spanSelector: spans, ...window },
      });
      const [one, two, narrowed] = await callWithGoClient([
        request([hex(first as string)]),
        request([hex(first as string), hex(second as string)]),
        // With a label matcher too: read from the labelled samples rather than by span id.
        {
          method: 'SelectMergeStacktraces',
          request: {
            profileTypeID: CPU,
            labelSelector: `{service_name="${service}", trace_endpoint=~".*"}`,
            spanSelector: [hex(first as string)],
            ...window,
          },
        },
      ]);
      expect(flameGraphPaths(flameGraph(narrowed ?? {}))).toEqual(expectedPaths((l) => l['span id'] === first));
      expect(flameGraphPaths(flameGraph(one ?? {}))).toEqual(expectedPaths((l) => l['span id'] === first));
      expect(flameGraphPaths(flameGraph(two ?? {}))).toEqual(
        expectedPaths((l) => l['span id'] === first || l['span id'] === second),
      );
      expect(BigInt(flameGraph(two ?? {}).total)).toBe(
        (bySpan.get(first as string) ?? 0n) + (bySpan.get(second as string) ?? 0n),
      );
    });

    it('answers SelectMergeSpanProfile as Grafana’s trace-to-profile calls it', async () => {
      const bySpan = await pprofTotalsByLabel(file, 'span id');
      const spans = [...bySpan.keys()].filter((k): k is string => k !== null);
      const [all, none] = await callWithGoClient([
        {
          method: 'SelectMergeSpanProfile',
          request: {
            profileTypeID: CPU,
            labelSelector: `{service_name="${service}"}`,
            spanSelector: spans.map(hex),
            ...window,
          },
        },
        {
          method: 'SelectMergeSpanProfile',
          request: { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, spanSelector: [], ...window },
        },
      ]);
      expect(flameGraphPaths(flameGraph(all ?? {}))).toEqual(expectedPaths((l) => l['span id'] !== undefined));
      expect(flameGraph(none ?? {}).total).toBe('0');
    });

    it('keeps totals exact when max_nodes bounds the flame graph', async () => {
      const [bounded] = await callWithGoClient([
        {
          method: 'SelectMergeStacktraces',
          request: { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, maxNodes: '4', ...window },
        },
      ]);
      const graph = flameGraph(bounded ?? {});
      flameGraphPaths(graph);
      const nodes = graph.levels.reduce((n, level) => n + level.values.length / 4, 0);
      expect(nodes).toBeLessThanOrEqual(4);
      expect(BigInt(graph.total)).toBe(sum(expectedPaths(() => true).values()));
    });

    it('gives series grouped by endpoint whose points add up to go tool pprof -tags', async () => {
      const [result] = await callWithGoClient([
        {
          method: 'SelectSeries',
          request: {
            profileTypeID: CPU,
            labelSelector: `{service_name="${service}"}`,
            groupBy: ['trace_endpoint'],
            step: 15,
            ...window,
          },
        },
      ]);
      expect(result?.error).toBeUndefined();
      expect(seriesTotalsBy(result?.response, 'trace_endpoint')).toEqual(await pprofTagTotals(file, 'trace endpoint'));
    });

    it('counts spans and profiles in SelectHeatmap, with span exemplars', async () => {
      const bySpan = await pprofTotalsByLabel(file, 'span id');
      const spans = [...bySpan].filter((entry): entry is [string, bigint] => entry[0] !== null && entry[1] > 0n);
      const request = { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, step: 60, ...window };
      const [bySpanMap, byProfile] = await callWithGoClient([
        {
          method: 'SelectHeatmap',
          request: { ...request, queryType: 'HEATMAP_QUERY_TYPE_SPAN', exemplarType: 'EXEMPLAR_TYPE_SPAN' },
        },
        { method: 'SelectHeatmap', request: { ...request, queryType: 'HEATMAP_QUERY_TYPE_INDIVIDUAL' } },
      ]);
      expect(bySpanMap?.error).toBeUndefined();
      const slots = bySpanMap?.response?.series?.[0]?.slots as {
        counts: number[];
        yMin: number[];
        exemplars: { spanId: string; value: string }[];
      }[];
      expect(slots.flatMap((slot) => slot.counts).reduce((a, b) => a + b, 0)).toBe(spans.length);
      const exemplars = slots.flatMap((slot) => slot.exemplars);
      const expected = new Map(spans.map(([id, cpu]) => [hex(id), String(cpu)]));
      for (const exemplar of exemplars) expect(expected.get(exemplar.spanId)).toBe(exemplar.value);
      // The largest span is the exemplar of the top bucket.
      const largest = spans.reduce((a, b) => (b[1] > a[1] ? b : a));
      expect(exemplars).toContainEqual(expect.objectContaining({ spanId: hex(largest[0]), value: String(largest[1]) }));
      const profileSlots = byProfile?.response?.series?.[0]?.slots as { counts: number[] }[];
      expect(profileSlots.flatMap((slot) => slot.counts).reduce((a, b) => a + b, 0)).toBe(1);
    });

    it('lists series by service and endpoint', async () => {
      const [result] = await callWithGoClient([
        {
          method: 'Series',
          request: {
            matchers: [`{service_name="${service}"}`],
            labelNames: ['service_name', 'trace_endpoint', '__profile_type__'],
            ...window,
          },
        },
      ]);
      const endpoints = [...(await pprofTotalsByLabel(file, 'trace endpoint')).keys()];
      const all: Record<string, string>[] = (result?.response?.labelsSet ?? []).map(
        (s: { labels: { name: string; value: string }[] }) =>
          Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
      );
      // Go's CPU profile holds two measures, cpu/nanoseconds and samples/count, the latter named by
      // its period as Pyroscope names it.
      expect(new Set(all.map((s) => s.__profile_type__))).toEqual(
        new Set([CPU, 'process_cpu:samples:count:cpu:nanoseconds']),
      );
      const sets = all.filter((s) => s.__profile_type__ === CPU);
      expect(sets).toHaveLength(endpoints.length);
      for (const endpoint of endpoints) {
        expect(sets).toContainEqual({
          __profile_type__: CPU,
          service_name: service,
          ...(endpoint === null ? {} : { trace_endpoint: endpoint }),
        });
      }
    });

    it('merges the selection into a pprof (SelectMergeProfile) with the same total', async () => {
      const [result] = await callWithGoClient([
        {
          method: 'SelectMergeProfile',
          request: { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, ...window },
        },
      ]);
      expect(result?.error).toBeUndefined();
      const samples = result?.response?.sample as { value: string[] }[];
      expect(sum(samples.map((s) => BigInt(s.value[0] ?? 0)))).toBe(sum(expectedPaths(() => true).values()));
    });

    it('accepts HTTP Basic with the key as password, and refuses a wrong key as unauthenticated', async () => {
      const call = {
        method: 'LabelValues',
        request: { name: 'service_name', matchers: [`{service_name="${service}"}`], ...window },
      };
      const [basic] = await callWithGoClient([call], { basicUser: '1234', basicPassword: inject('apiKey') });
      expect(basic?.response?.names).toEqual([service]);
      const [wrong] = await callWithGoClient([call], { bearer: 'not-a-key' });
      expect(wrong?.error?.code).toBe('unauthenticated');
      const [otherTenant] = await callWithGoClient([call], { bearer: 'hotspots-test-key-b' });
      expect(otherTenant?.response?.names).toEqual([]);
    });

    it('answers bad selectors with invalid_argument and the reason', async () => {
      const results = await callWithGoClient(
        ['{service_name="x"', '{a=~"("}', '{1a="x"}', 'nope{'].map((labelSelector) => ({
          method: 'SelectMergeStacktraces',
          request: { profileTypeID: CPU, labelSelector, ...window },
        })),
      );
      for (const result of results) {
        expect(result.error?.code).toBe('invalid_argument');
        expect(result.error?.message).toMatch(/label selector/);
      }
    });
  },
);

describe('the same API as JSON (Profiles Drilldown)', () => {
  let service: string;
  beforeAll(async () => {
    ({ service } = await uploadRealProfile('/v1/profiles'));
  });

  async function postJson(method: string, request: Record<string, unknown>) {
    const answer = await fetch(`${inject('apiUrl')}/querier.v1.QuerierService/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('apiKey')}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(answer.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: protobuf JSON of several message types
    return (await answer.json()) as any;
  }

  it('reads profile type labels in selectors, and answers a type it holds no data of with nothing', async () => {
    const total = async (profileTypeID: string, labelSelector: string) =>
      (await postJson('SelectMergeStacktraces', { profileTypeID, labelSelector, ...window })).flamegraph.total ?? '0';
    const all = await total(CPU, `{service_name="${service}"}`);
    expect(BigInt(all)).toBeGreaterThan(0n);
    expect(await total(CPU, `process_cpu{service_name="${service}"}`)).toBe(all);
    expect(await total(CPU, `{service_name="${service}", __profile_type__="${CPU}"}`)).toBe(all);
    expect(await total(CPU, `{service_name="${service}", __name__="memory"}`)).toBe('0');
    expect(await total('wall:wall:nanoseconds:wall:nanoseconds', `{service_name="${service}"}`)).toBe('0');
  });

  it('averages SelectSeries per profile, and reports profile stats', async () => {
    const request = { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, step: 3600, ...window };
    const sum = await postJson('SelectSeries', request);
    const average = await postJson('SelectSeries', { ...request, aggregation: 'TIME_SERIES_AGGREGATION_TYPE_AVERAGE' });
    // One profile: its average is its sum.
    expect(average.series).toEqual(sum.series);
    expect(sum.series).toHaveLength(1);
    const stats = await postJson('GetProfileStats', {});
    expect(stats.dataIngested).toBe(true);
    expect(Number(stats.oldestProfileTime)).toBeLessThanOrEqual(Number(stats.newestProfileTime));
  });

  it('answers SelectMergeStacktraces in the protobuf JSON mapping with the same flame graph', async () => {
    const request = { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, ...window };
    const answer = await fetch(`${inject('apiUrl')}/querier.v1.QuerierService/SelectMergeStacktraces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('apiKey')}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await answer.json()) as { flamegraph: FlameGraphMessage };
    expect(typeof body.flamegraph.total).toBe('string');
    const [viaGo] = await callWithGoClient([{ method: 'SelectMergeStacktraces', request }]);
    expect(flameGraphPaths(body.flamegraph)).toEqual(flameGraphPaths(flameGraph(viaGo ?? {})));
  });

  it('answers errors with the Connect JSON error body and its status', async () => {
    const answer = await fetch(`${inject('apiUrl')}/querier.v1.QuerierService/SelectMergeStacktraces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('apiKey')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ profileTypeID: CPU, labelSelector: '{a=}', ...window }),
    });
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as { code: string; message: string };
    expect(body.code).toBe('invalid_argument');
    const unknown = await fetch(`${inject('apiUrl')}/querier.v1.QuerierService/Diff`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('apiKey')}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('unimplemented');
  });
});
