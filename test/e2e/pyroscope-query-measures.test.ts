import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Profile } from 'pprof-format';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseMultipart } from '../../shared/agents/multipart.js';
import type { Deps } from '../../shared/app/deps.js';
import { decompressBounded } from '../../shared/platform/compression.js';
import { big, getExact } from '../support/api.js';
import { freshSpanId, MS, nodeWallProfile, spanLabels, tenant, traceOf } from '../support/measure-fixtures.js';
import { type DecodedSample, decodeSamples, labelled, totalOf } from '../support/measure-profiles.js';
import { buildMeasuredProfile } from '../support/pprof-builder.js';
import {
  callWithGoClient,
  type FlameGraphMessage,
  flameGraphPaths,
  seriesTotalsBy,
} from '../support/pyroscope-query.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';
import { spanRow } from '../support/span-rows.js';

/**
 * Every measure through the Pyroscope query API, called by the official Go Connect client
 * (test/go/pyroscope-query-client, built as Grafana's datasource builds it). The profiles declare
 * their sample types as ddtrace (Python: `cpu-time`, `wall-time`, `lock-acquire-wait`,
 * `lock-acquire/count`) and dd-trace-js (Node: `wall`, `cpu`, `samples/count`) send them; the
 * expected figures are summed from the uploaded bytes with pprof-format, never by the decoder under
 * test. Also trace_id_selector: samples of a trace through the spans table, and through a
 * `trace_id` label.
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const WALL = 'wall:wall:nanoseconds:wall:nanoseconds';
const LOCK_WAIT = 'mutex:delay:nanoseconds::';
const LOCK_COUNT = 'process_cpu:lock-acquire:count:cpu-time:nanoseconds';

let deps: Deps;
const startNs = (BigInt(Math.floor(Date.now() / 1000)) - 120n) * 1_000_000_000n;
const window = { start: String(Number(startNs / MS) - 60_000), end: String(Number(startNs / MS) + 600_000) };
const services = { py: uniqueService('py-grafana'), node: uniqueService('node-grafana') };
const ids = { root: freshSpanId(), child: freshSpanId(), other: freshSpanId(), nodeRoot: freshSpanId() };
const pyTrace = traceOf(ids.root);
/** A trace no span row knows: its samples carry it as a `trace_id` label only (an OTLP link). */
const linkedTrace = `${freshSpanId()}`.padStart(32, 'a');

/** Python's declared sample types, and its period type (cpu-time, as ddtrace 4.x sends it). */
const pyProfile = buildMeasuredProfile({
  sampleTypes: [
    ['cpu-time', 'nanoseconds'],
    ['wall-time', 'nanoseconds'],
    ['lock-acquire', 'count'],
    ['lock-acquire-wait', 'nanoseconds'],
  ],
  // The derived id of lock-acquire/count carries the period type; the recorded ddtrace upload
  // below holds the same measure under it, so both name one profile type.
  periodType: ['cpu-time', 'nanoseconds'],
  startNs,
  durationNs: 60_000n * MS,
  samples: [
    { stack: ['handle', 'main'], values: [30n * MS, 200n * MS, 0n, 0n], labels: spanLabels(ids.root, ids.root) },
    {
      stack: ['acquire', 'handle', 'main'],
      values: [0n, 150n * MS, 2n, 140n * MS],
      labels: spanLabels(ids.root, ids.root),
    },
    {
      stack: ['query', 'handle', 'main'],
      values: [20n * MS, 300n * MS, 0n, 0n],
      labels: spanLabels(ids.child, ids.root),
    },
    {
      stack: ['render', 'main'],
      values: [10n * MS, 40n * MS, 1n, 5n * MS],
      labels: spanLabels(ids.other, ids.other, 'POST /py'),
    },
    { stack: ['linked', 'main'], values: [7n * MS, 70n * MS, 0n, 0n], labels: { trace_id: linkedTrace } },
    { stack: ['gc'], values: [10n * MS, 10n * MS, 0n, 0n] },
  ],
});

const nodeProfile = nodeWallProfile({
  startNs,
  durationNs: 60_000n * MS,
  samples: [
    {
      stack: ['setTimeout', 'handler'],
      values: [5n, 500n * MS, 0n],
      labels: spanLabels(ids.nodeRoot, ids.nodeRoot, 'GET /node'),
    },
    {
      stack: ['work', 'handler'],
      values: [2n, 30n * MS, 25n * MS],
      labels: spanLabels(ids.nodeRoot, ids.nodeRoot, 'GET /node'),
    },
  ],
});

beforeAll(async () => {
  deps = testDeps();
  const uploads = await Promise.all([
    uploadProfile(pyProfile, { service: services.py }),
    uploadProfile(nodeProfile, { service: services.node }),
  ]);
  for (const upload of uploads) expect(upload.status).toBe(202);
  await waitForCommittedProfiles(
    deps,
    tenant,
    uploads.map((u) => u.body.profile_id ?? ''),
  );
  const span = (spanId: string, parentId: string, service: string) =>
    spanRow({
      tenant,
      traceId: parentId === '0' ? traceOf(spanId) : pyTrace,
      spanId,
      parentId,
      service,
      startNs: startNs + 1000n * MS,
      durationNs: 1000n * MS,
    });
  await deps.db.insert('spans', [
    span(ids.root, '0', services.py),
    span(ids.child, ids.root, services.py),
    span(ids.other, '0', services.py),
    span(ids.nodeRoot, '0', services.node),
  ]);
}, 180_000);

afterAll(async () => {
  await deps?.close();
});

const hex = (decimal: string) => BigInt(decimal).toString(16).padStart(16, '0');
const sum = (values: Iterable<bigint>) => [...values].reduce((a, b) => a + b, 0n);

/** Root-first stacks of the samples `keep` picks, with their `typeAndUnit` values (pprof-format). */
function expectedPaths(
  bytes: Uint8Array,
  typeAndUnit: string,
  keep: (s: DecodedSample) => boolean = () => true,
): Map<string, bigint> {
  const paths = new Map<string, bigint>();
  for (const sample of decodeSamples(bytes).samples.filter(keep)) {
    const value = sample.values.get(typeAndUnit) ?? 0n;
    if (value === 0n) continue;
    const key = sample.stack.join(';');
    paths.set(key, (paths.get(key) ?? 0n) + value);
  }
  return paths;
}

function flameGraph(result: { response?: { flamegraph?: FlameGraphMessage }; error?: unknown } | undefined) {
  expect(result?.error).toBeUndefined();
  return result?.response?.flamegraph as FlameGraphMessage;
}

const merge = (profileTypeID: string, labelSelector: string, extra: Record<string, unknown> = {}) => ({
  method: 'SelectMergeStacktraces',
  request: { profileTypeID, labelSelector, ...window, ...extra },
});

describe('every measure through the Pyroscope query API (official Go Connect client)', () => {
  it('lists a profile type per measure the profiles hold, with Pyroscope-conventional ids', async () => {
    const [types, pyValues] = await callWithGoClient([
      { method: 'ProfileTypes', request: window },
      {
        method: 'LabelValues',
        request: { name: '__profile_type__', matchers: [`{service_name="${services.py}"}`], ...window },
      },
    ]);
    const listed = types?.response?.profileTypes as { ID: string; name: string; sampleType: string }[];
    expect(listed).toEqual(
      expect.arrayContaining([
        {
          ID: CPU,
          name: 'process_cpu',
          sampleType: 'cpu',
          sampleUnit: 'nanoseconds',
          periodType: 'cpu',
          periodUnit: 'nanoseconds',
        },
        {
          ID: WALL,
          name: 'wall',
          sampleType: 'wall',
          sampleUnit: 'nanoseconds',
          periodType: 'wall',
          periodUnit: 'nanoseconds',
        },
        {
          ID: LOCK_WAIT,
          name: 'mutex',
          sampleType: 'delay',
          sampleUnit: 'nanoseconds',
          periodType: '',
          periodUnit: '',
        },
        {
          ID: LOCK_COUNT,
          name: 'process_cpu',
          sampleType: 'lock-acquire',
          sampleUnit: 'count',
          periodType: 'cpu-time',
          periodUnit: 'nanoseconds',
        },
      ]),
    );
    // One id per measure: Python's cpu-time and Node's cpu are one type, as are wall-time and wall.
    // samples/count is named by its profiles' period (CPU), as Pyroscope names Go's.
    expect(listed.map((t) => t.ID)).toContain('process_cpu:samples:count:cpu:nanoseconds');
    expect(new Set(listed.map((t) => t.ID)).size).toBe(listed.length);
    expect(listed.filter((t) => t.sampleType === 'cpu-time' || t.sampleType === 'wall-time')).toEqual([]);
    // The types of one service's samples: what its profiles hold with a value in some sample.
    expect(pyValues?.response?.names).toEqual([LOCK_COUNT, WALL, LOCK_WAIT, CPU].sort());
  });

  it.each([
    ['wall', WALL, 'wall-time/nanoseconds'],
    ['lock wait', LOCK_WAIT, 'lock-acquire-wait/nanoseconds'],
    ['CPU', CPU, 'cpu-time/nanoseconds'],
    ['lock-acquire/count', LOCK_COUNT, 'lock-acquire/count'],
  ])('gives a Python service its %s flame graph: every stack and the total exact', async (_, type, declared) => {
    const [result] = await callWithGoClient([merge(type, `{service_name="${services.py}"}`)]);
    const graph = flameGraph(result);
    const expected = expectedPaths(pyProfile, declared);
    expect(flameGraphPaths(graph)).toEqual(expected);
    expect(BigInt(graph.total)).toBe(totalOf(pyProfile, declared));
  });

  it('gives Node its wall flame graph, and the two runtimes merged under one wall type', async () => {
    const [node, both] = await callWithGoClient([
      merge(WALL, `{service_name="${services.node}"}`),
      merge(WALL, `{service_name=~"${services.node}|${services.py}"}`),
    ]);
    expect(flameGraphPaths(flameGraph(node))).toEqual(expectedPaths(nodeProfile, 'wall/nanoseconds'));
    expect(BigInt(flameGraph(both).total)).toBe(
      totalOf(nodeProfile, 'wall/nanoseconds') + totalOf(pyProfile, 'wall-time/nanoseconds'),
    );
  });

  it('gives a span its wall profile (SelectMergeSpanProfile and span_selector), exact', async () => {
    const [spanProfile, twoSpans, withLabel] = await callWithGoClient([
      {
        method: 'SelectMergeSpanProfile',
        request: {
          profileTypeID: WALL,
          labelSelector: `{service_name="${services.py}"}`,
          spanSelector: [hex(ids.root)],
          ...window,
        },
      },
      merge(WALL, `{service_name="${services.py}"}`, { spanSelector: [hex(ids.root), hex(ids.child)] }),
      merge(LOCK_WAIT, `{service_name="${services.py}", trace_endpoint="GET /py"}`, { spanSelector: [hex(ids.root)] }),
    ]);
    const wallOfRoot = expectedPaths(pyProfile, 'wall-time/nanoseconds', labelled('span id', ids.root));
    expect(flameGraphPaths(flameGraph(spanProfile))).toEqual(wallOfRoot);
    expect(BigInt(flameGraph(spanProfile).total)).toBe(
      totalOf(pyProfile, 'wall-time/nanoseconds', labelled('span id', ids.root)),
    );
    expect(BigInt(flameGraph(twoSpans).total)).toBe(
      totalOf(pyProfile, 'wall-time/nanoseconds', labelled('span id', ids.root, ids.child)),
    );
    expect(BigInt(flameGraph(withLabel).total)).toBe(140n * MS);
  });

  it('merges a wall profile (SelectMergeProfile) in wall/nanoseconds, and series of wall', async () => {
    const [merged, series] = await callWithGoClient([
      {
        method: 'SelectMergeProfile',
        request: { profileTypeID: WALL, labelSelector: `{service_name="${services.node}"}`, ...window },
      },
      {
        method: 'SelectSeries',
        request: {
          profileTypeID: WALL,
          labelSelector: `{service_name="${services.py}"}`,
          groupBy: ['trace_endpoint'],
          step: 60,
          ...window,
        },
      },
    ]);
    expect(merged?.error).toBeUndefined();
    const profile = merged?.response as {
      sampleType: { type: string; unit: string }[];
      stringTable: string[];
      sample: { value: string[] }[];
    };
    const [sampleType] = profile.sampleType;
    expect([profile.stringTable[Number(sampleType?.type)], profile.stringTable[Number(sampleType?.unit)]]).toEqual([
      'wall',
      'nanoseconds',
    ]);
    expect(sum(profile.sample.map((s) => BigInt(s.value[0] ?? 0)))).toBe(totalOf(nodeProfile, 'wall/nanoseconds'));

    const byEndpoint = seriesTotalsBy(series?.response, 'trace_endpoint');
    for (const endpoint of ['GET /py', 'POST /py']) {
      expect(byEndpoint.get(endpoint)).toBe(
        totalOf(pyProfile, 'wall-time/nanoseconds', labelled('trace endpoint', endpoint)),
      );
    }
  });

  it('counts spans by their wall time in SelectHeatmap, with exemplars equal to their pprof wall totals', async () => {
    const [heatmap] = await callWithGoClient([
      {
        method: 'SelectHeatmap',
        request: {
          profileTypeID: WALL,
          labelSelector: `{service_name="${services.py}"}`,
          step: 60,
          queryType: 'HEATMAP_QUERY_TYPE_SPAN',
          exemplarType: 'EXEMPLAR_TYPE_SPAN',
          ...window,
        },
      },
    ]);
    expect(heatmap?.error).toBeUndefined();
    const slots = (heatmap?.response?.series?.[0]?.slots ?? []) as {
      counts: number[];
      exemplars: { spanId: string; value: string }[];
    }[];
    const spans = [ids.root, ids.child, ids.other];
    expect(slots.flatMap((slot) => slot.counts).reduce((a, b) => a + b, 0)).toBe(spans.length);
    const wallOf = new Map(
      spans.map((id) => [hex(id), String(totalOf(pyProfile, 'wall-time/nanoseconds', labelled('span id', id)))]),
    );
    const exemplars = slots.flatMap((slot) => slot.exemplars);
    expect(exemplars.length).toBeGreaterThan(0);
    for (const exemplar of exemplars) expect(wallOf.get(exemplar.spanId)).toBe(exemplar.value);
  });

  it('answers an id naming a measure nobody stored, or a named measure under another id, with nothing', async () => {
    const [unknown, renamed, declared, otherName] = await callWithGoClient([
      merge('alloc-space:alloc-space:bytes:space:bytes', `{service_name="${services.py}"}`),
      merge('cpu:cpu:nanoseconds::', `{service_name="${services.py}"}`),
      merge('wall:wall-time:nanoseconds:wall:nanoseconds', `{service_name="${services.py}"}`),
      merge('lock-acquire:lock-acquire:count::', `{service_name="${services.py}"}`),
    ]);
    expect([unknown, renamed, declared].map((r) => flameGraph(r).total)).toEqual(['0', '0', '0']);
    // A derived id reads its type/unit whatever its name and period say.
    expect(BigInt(flameGraph(otherName).total)).toBe(totalOf(pyProfile, 'lock-acquire/count'));
  });
});

describe('trace_id_selector', () => {
  it('reads the samples of a trace: spans the trace holds, exactly as /v1/flamegraph?trace_id=', async () => {
    const [trace, traceProfile, none] = await callWithGoClient([
      merge(WALL, `{service_name="${services.py}"}`, { traceIdSelector: [pyTrace] }),
      {
        method: 'SelectMergeProfile',
        request: {
          profileTypeID: CPU,
          labelSelector: `{service_name="${services.py}"}`,
          traceIdSelector: [pyTrace],
          ...window,
        },
      },
      merge(WALL, `{service_name="${services.py}"}`, { traceIdSelector: ['0123456789abcdef0123456789abcdef'] }),
    ]);
    const ofTrace = labelled('span id', ids.root, ids.child);
    expect(flameGraphPaths(flameGraph(trace))).toEqual(expectedPaths(pyProfile, 'wall-time/nanoseconds', ofTrace));
    const samples = traceProfile?.response?.sample as { value: string[] }[];
    expect(sum(samples.map((s) => BigInt(s.value[0] ?? 0)))).toBe(totalOf(pyProfile, 'cpu-time/nanoseconds', ofTrace));
    expect(flameGraph(none).total).toBe('0');
    const v1 = await getExact<{ total_value: number | bigint }>(`/v1/flamegraph?trace_id=${pyTrace}&measure=wall`);
    expect(big(v1.body.total_value)).toBe(BigInt(flameGraph(trace).total));
  });

  it('reads samples carrying the trace id as a label, and two traces at once', async () => {
    const [linked, both] = await callWithGoClient([
      merge(CPU, `{service_name="${services.py}"}`, { traceIdSelector: [linkedTrace] }),
      merge(CPU, '{}', { traceIdSelector: [linkedTrace, pyTrace] }),
    ]);
    expect(flameGraphPaths(flameGraph(linked))).toEqual(
      expectedPaths(pyProfile, 'cpu-time/nanoseconds', labelled('trace_id', linkedTrace)),
    );
    expect(BigInt(flameGraph(both).total)).toBe(
      totalOf(
        pyProfile,
        'cpu-time/nanoseconds',
        (s) => labelled('trace_id', linkedTrace)(s) || labelled('span id', ids.root, ids.child)(s),
      ),
    );
  });

  it('refuses a malformed trace id as invalid_argument', async () => {
    const [bad] = await callWithGoClient([merge(WALL, '{}', { traceIdSelector: ['not-a-trace'] })]);
    expect(bad?.error?.code).toBe('invalid_argument');
    expect(bad?.error?.message).toContain('trace_id_selector');
  });
});

/**
 * What dd-trace-js 5.x and ddtrace 4.x really sent (test/fixtures/agents, recorded by
 * test/support/record-runtime-fixtures.ts), uploaded through the Datadog intake: wall and CPU per
 * service and per request span (span ids are number labels; ddtrace's of 2^63 and above arrive
 * negative), read by Grafana's client, equal pprof-format's sums over the same bytes.
 */
describe.each([
  { dir: 'dd-trace-js', file: 'wall.pprof', wall: 'wall/nanoseconds', cpu: 'cpu/nanoseconds' },
  { dir: 'ddtrace-py', file: 'profile.pprof', wall: 'wall-time/nanoseconds', cpu: 'cpu-time/nanoseconds' },
])('the recorded $dir upload through the Pyroscope query API', ({ dir, file, wall, cpu }) => {
  const fixtures = join(import.meta.dirname, '..', 'fixtures', 'agents', dir);
  let pprof: Profile;
  let service: string;
  let range: { start: string; end: string };

  beforeAll(async () => {
    const body = readFileSync(join(fixtures, 'profiling-input.multipart'));
    const { content_type } = JSON.parse(readFileSync(join(fixtures, 'profiling-input.json'), 'utf8')) as {
      content_type: string;
    };
    const parts = await parseMultipart(body, content_type, { maxParts: 16, maxPartBytes: 8 * 1024 * 1024 });
    const part = parts.find((p) => p.name === file);
    pprof = Profile.decode(decompressBounded(part?.bytes ?? new Uint8Array(), 64 * 1024 * 1024).data);
    const event = JSON.parse(Buffer.from(parts.find((p) => p.name === 'event')?.bytes ?? []).toString()) as {
      start: string;
      end: string;
      tags_profiler: string;
    };
    service = /(?:^|,)service:([^,]+)/.exec(event.tags_profiler)?.[1] ?? '';
    range = {
      start: String(Date.parse(event.start) - 600_000),
      end: String(Date.parse(event.end) + 600_000),
    };
    const answer = await fetch(`${inject('apiUrl')}/profiling/v1/input`, {
      method: 'POST',
      headers: { 'content-type': content_type, 'dd-api-key': inject('apiKey') },
      body,
    });
    expect(answer.status).toBe(202);
    const ids = ((await answer.json()) as { profiles: { profile_id: string }[] }).profiles.map((p) => p.profile_id);
    await waitForCommittedProfiles(deps, tenant, ids);
  }, 120_000);

  /** pprof-format's sum of one sample type, over the samples of `span` (its uint64 id) or all. */
  function pprofTotal(typeAndUnit: string, span?: string): bigint {
    const text = (i: number | bigint) => String(pprof.stringTable.strings[Number(i)] ?? '');
    const index = pprof.sampleType.findIndex((t) => `${text(t.type)}/${text(t.unit)}` === typeAndUnit);
    expect(index).toBeGreaterThanOrEqual(0);
    let total = 0n;
    for (const sample of pprof.sample) {
      const label = sample.label.find((l) => text(l.key) === 'span id');
      const id =
        label === undefined
          ? '0'
          : Number(label.str) !== 0
            ? text(label.str)
            : BigInt.asUintN(64, BigInt(label.num)).toString();
      if (span === undefined || id === span) total += BigInt(sample.value[index] ?? 0);
    }
    return total;
  }

  const requests = () =>
    (JSON.parse(readFileSync(join(fixtures, 'requests.json'), 'utf8')) as { requests: { span_id: string }[] }).requests;

  it('gives the service its wall and CPU flame graphs, totals exact', async () => {
    const [wallGraph, cpuGraph, types] = await callWithGoClient([
      {
        method: 'SelectMergeStacktraces',
        request: { profileTypeID: WALL, labelSelector: `{service_name="${service}"}`, ...range },
      },
      {
        method: 'SelectMergeStacktraces',
        request: { profileTypeID: CPU, labelSelector: `{service_name="${service}"}`, ...range },
      },
      {
        method: 'LabelValues',
        request: { name: '__profile_type__', matchers: [`{service_name="${service}"}`], ...range },
      },
    ]);
    expect(pprofTotal(wall)).toBeGreaterThan(0n);
    expect(BigInt(flameGraph(wallGraph).total)).toBe(pprofTotal(wall));
    expect(BigInt(flameGraph(cpuGraph).total)).toBe(pprofTotal(cpu));
    expect(types?.response?.names).toEqual(expect.arrayContaining([WALL, CPU]));
  });

  it('gives each recorded request span its wall profile (SelectMergeSpanProfile), exact', async () => {
    const spans = requests().map((r) => r.span_id);
    const answers = await callWithGoClient(
      spans.map((span) => ({
        method: 'SelectMergeSpanProfile',
        request: {
          profileTypeID: WALL,
          labelSelector: `{service_name="${service}"}`,
          spanSelector: [hex(span)],
          ...range,
        },
      })),
    );
    const totals = answers.map((answer) => BigInt(flameGraph(answer).total));
    expect(totals).toEqual(spans.map((span) => pprofTotal(wall, span)));
    expect(totals.some((t) => t > 0n)).toBe(true);
  });
});
