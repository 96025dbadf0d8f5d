import type { SqlDatabase } from '../../shared/platform/ports.js';
import { type Dataset, loadDataset, SPAN_BASE, traceIdOfRoot } from './dataset.js';
import { summarise } from './stats.js';

/**
 * Query-route latency over HTTP (serverless offline, the same path a user takes) on a loaded
 * dataset: each route is called `requests` times, span lookups with different ids each time.
 */
export interface RouteFigures {
  dataset_samples: number;
  route: string;
  n: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export async function benchQueries(
  db: SqlDatabase,
  apiUrl: string,
  apiKey: string,
  dataset: Dataset & { loaded: boolean },
  requests: number,
  log: (m: string) => void,
): Promise<{ loadSeconds: number; routes: RouteFigures[] }> {
  const loadSeconds = await loadDataset(db, dataset, log);
  const window = { service: dataset.service, from: String(dataset.fromSec), to: String(dataset.toSec) };
  const spans = Math.floor(dataset.samples / 20);
  const pick = (i: number) => SPAN_BASE + BigInt((i * 7919 + 13) % Math.min(spans, 50_000));
  const root = (i: number) => (pick(i) / 5n) * 5n;
  const selectMerge = (labelSelector: string) => ({
    path: '/querier.v1.QuerierService/SelectMergeStacktraces',
    json: {
      profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      labelSelector,
      start: String(dataset.fromSec * 1000),
      end: String(dataset.toSec * 1000),
    },
  });
  const routes: [string, (i: number) => string | { path: string; json: unknown }][] = [
    ['GET /v1/services', () => '/v1/services'],
    ['GET /v1/endpoints', () => `/v1/endpoints?${new URLSearchParams(window)}`],
    ['GET /v1/endpoints/cpu (24 h)', () => `/v1/endpoints/cpu?${new URLSearchParams(window)}`],
    [
      'GET /v1/endpoints/timeseries (24 h, 1 h step)',
      () => `/v1/endpoints/timeseries?${new URLSearchParams({ ...window, step: '3600' })}`,
    ],
    [
      'GET /v1/endpoints/timeseries by version',
      () => `/v1/endpoints/timeseries?${new URLSearchParams({ ...window, step: '3600', group_by: 'version' })}`,
    ],
    ['GET /v1/flamegraph (service, 24 h)', () => `/v1/flamegraph?${new URLSearchParams(window)}`],
    [
      'POST SelectMergeStacktraces (service, 24 h; Pyroscope API, JSON)',
      () => selectMerge(`{service_name=${JSON.stringify(dataset.service)}}`),
    ],
    [
      'GET /v1/flamegraph (one endpoint, 24 h)',
      () => `/v1/flamegraph?${new URLSearchParams({ ...window, endpoint: 'GET /endpoint/3' })}`,
    ],
    [
      'GET /v1/flamegraph/diff (version 1.0 vs 1.1, 24 h)',
      () => `/v1/flamegraph/diff?${new URLSearchParams({ ...window, 'a.version': '1.0', 'b.version': '1.1' })}`,
    ],
    [
      'GET /v1/endpoints/requests (one endpoint, 24 h)',
      () => `/v1/endpoints/requests?${new URLSearchParams({ ...window, endpoint: 'GET /endpoint/3' })}`,
    ],
    ['GET /v1/changes (24 h)', () => `/v1/changes?${new URLSearchParams(window)}`],
    ['GET /v1/flamegraph?span_id', (i) => `/v1/flamegraph?span_id=${pick(i)}`],
    ['GET /v1/flamegraph?local_root_span_id', (i) => `/v1/flamegraph?local_root_span_id=${root(i)}`],
    ['GET /v1/spans/{id}/hotspots', (i) => `/v1/spans/${pick(i)}/hotspots`],
    ['GET /v1/traces/{id}', (i) => `/v1/traces/${traceIdOfRoot(root(i))}`],
  ];
  const figures: RouteFigures[] = [];
  for (const [route, path] of routes) {
    const latencies: number[] = [];
    // One warm-up call (cold Lambda worker, ClickHouse mark cache), not counted.
    for (let i = -1; i < requests; i += 1) {
      const started = performance.now();
      const target = path(Math.max(i, 0));
      const answer =
        typeof target === 'string'
          ? await fetch(`${apiUrl}${target}`, { headers: { authorization: `Bearer ${apiKey}` } })
          : await fetch(`${apiUrl}${target.path}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
              body: JSON.stringify(target.json),
            });
      await answer.arrayBuffer();
      if (answer.status !== 200) throw new Error(`${route} answered ${answer.status}`);
      if (i >= 0) latencies.push(performance.now() - started);
    }
    figures.push({ dataset_samples: dataset.samples, route, ...summarise(latencies) });
    log(`${route}: p50 ${figures.at(-1)?.p50_ms} ms, p99 ${figures.at(-1)?.p99_ms} ms`);
  }
  return { loadSeconds, routes: figures };
}
