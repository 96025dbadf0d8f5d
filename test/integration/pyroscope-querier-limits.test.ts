import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import { encodeEnvelope } from '../../shared/profiles/envelope.js';
import { processProfileRecords } from '../../shared/profiles/process-profiles.js';
import {
  labelValues,
  type QuerierLimits,
  selectHeatmap,
  selectMergeStacktraces,
  selectSeries,
} from '../../shared/query/pyroscope/querier.js';
import { buildCpuProfile, type ProfileSpec } from '../support/pprof-builder.js';
import { profileConsumerDeps, testDeps, uniqueService } from '../support/services.js';
import { storeRawProfile } from '../support/stored-profiles.js';

/**
 * The Pyroscope query API's limits, met on real data in ClickHouse (one profile through the real
 * consumer): each answers as docs/api.md says, with the totals unchanged where it bounds output.
 */
const tenant = 'test-a';
let deps: Deps;
const service = uniqueService('querier-limits');
const now = Date.now();
const window = { start: String(now - 3_600_000), end: String(now + 3_600_000) };
const cpu = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

const spec: ProfileSpec = {
  samples: Array.from({ length: 6 }, (_, i) => ({
    stack: [`fn${i}`, `mid${i % 2}`, 'main'],
    cpuNs: BigInt(i + 1) * 10_000_000n,
    labels: { 'span id': String(100 + i), 'trace endpoint': `GET /e${i}` },
  })),
};
const total = 210_000_000n;

const limits: QuerierLimits = {
  maxRangeSeconds: 31 * 86_400,
  maxResultRows: 3,
  maxNodes: 5,
  maxStacks: 100,
  maxPoints: 1000,
  maxSeries: 50,
  maxSelectorBytes: 1024,
  maxMatchers: 8,
  maxSpanSelectors: 2,
  maxTraceSelectors: 2,
  maxHeatmapPoints: 4,
};

beforeAll(async () => {
  deps = testDeps();
  const envelope = await storeRawProfile(
    deps.rawStore,
    deps.config.s3.bucket,
    { tenant, service },
    buildCpuProfile({ ...spec, startNs: BigInt(now) * 1_000_000n }),
  );
  await processProfileRecords(profileConsumerDeps(deps), [
    {
      topic: 'hotspots.profiles',
      partition: 0,
      offset: 1,
      timestamp: Date.now(),
      timestampType: 'CREATE_TIME',
      key: null,
      value: encodeEnvelope(envelope).toString('base64'),
      headers: [],
    },
  ]);
});
afterAll(async () => {
  await deps.close();
});

async function refusal(run: () => Promise<unknown>): Promise<HotspotsError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof HotspotsError) return error;
    throw error;
  }
  throw new Error('accepted');
}

const selector = `{service_name="${service}"}`;

describe('limits of the Pyroscope query API', () => {
  it('bounds flame graphs to the smaller of max_nodes and the configured nodes, totals exact', async () => {
    for (const maxNodes of ['0', '3', '1000']) {
      const answer = await selectMergeStacktraces(
        deps.db,
        tenant,
        { profileTypeID: cpu, labelSelector: selector, maxNodes, ...window },
        limits,
      );
      const graph = answer.flamegraph as { levels: { values: string[] }[]; total: string };
      const nodes = graph.levels.reduce((n, l) => n + l.values.length / 4, 0);
      expect(nodes).toBeLessThanOrEqual(maxNodes === '3' ? 3 : limits.maxNodes);
      expect(BigInt(graph.total)).toBe(total);
    }
  });

  it('lists at most HOTSPOTS_MAX_RESULT_ROWS label values, the first in order', async () => {
    const answer = await labelValues(
      deps.db,
      tenant,
      { name: 'trace_endpoint', matchers: [selector], ...window },
      limits,
    );
    expect(answer.names).toEqual(['GET /e0', 'GET /e1', 'GET /e2']);
  });

  it('keeps the largest series up to limit, with a label matcher beside group_by', async () => {
    const answer = await selectSeries(
      deps.db,
      tenant,
      {
        profileTypeID: cpu,
        labelSelector: `{service_name="${service}", trace_endpoint!="GET /e0"}`,
        groupBy: ['trace_endpoint'],
        step: 60,
        limit: '2',
        ...window,
      },
      limits,
    );
    expect(answer.series.map((s) => [s.labels, s.points.reduce((sum, p) => sum + p.value, 0)])).toEqual([
      [[{ name: 'trace_endpoint', value: 'GET /e5' }], 60_000_000],
      [[{ name: 'trace_endpoint', value: 'GET /e4' }], 50_000_000],
    ]);
  });

  it('refuses more span selectors than HOTSPOTS_PYROSCOPE_MAX_SPAN_SELECTORS', async () => {
    const spans = ['0000000000000064', '0000000000000065', '0000000000000066'];
    const error = await refusal(() =>
      selectMergeStacktraces(
        deps.db,
        tenant,
        { profileTypeID: cpu, labelSelector: selector, spanSelector: spans, ...window },
        limits,
      ),
    );
    expect([error.status, error.message]).toEqual([400, 'at most 2 span selectors']);
  });

  it('refuses more trace id selectors than HOTSPOTS_PYROSCOPE_MAX_TRACE_SELECTORS, and reads as many', async () => {
    const traces = [
      '0000000000000000000000000000000a',
      '0000000000000000000000000000000b',
      '0000000000000000000000000000000c',
    ];
    const error = await refusal(() =>
      selectMergeStacktraces(
        deps.db,
        tenant,
        { profileTypeID: cpu, labelSelector: selector, traceIdSelector: traces, ...window },
        limits,
      ),
    );
    expect([error.status, error.message]).toEqual([400, 'at most 2 trace id selectors']);
    const within = (await selectMergeStacktraces(
      deps.db,
      tenant,
      { profileTypeID: cpu, labelSelector: selector, traceIdSelector: traces.slice(0, 2), ...window },
      limits,
    )) as { flamegraph: { total: string } };
    expect(within.flamegraph.total).toBe('0');
  });

  it('refuses a heatmap of more points than HOTSPOTS_PYROSCOPE_MAX_HEATMAP_POINTS, and draws one within it', async () => {
    const request = {
      profileTypeID: cpu,
      labelSelector: selector,
      step: 60,
      queryType: 'HEATMAP_QUERY_TYPE_SPAN',
      ...window,
    };
    const error = await refusal(() => selectHeatmap(deps.db, tenant, request, limits));
    expect([error.status, error.message]).toEqual([400, expect.stringContaining('more than 4 heatmap points')]);
    const within = await selectHeatmap(
      deps.db,
      tenant,
      { ...request, labelSelector: `{service_name="${service}", trace_endpoint=~"GET /e[0-3]"}` },
      limits,
    );
    const counts = within.series.flatMap((s) => s.slots.flatMap((slot) => slot.counts));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4);
  });
});
