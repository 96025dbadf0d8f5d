import { describe, expect, it } from 'vitest';
import type { EndpointCpuBody, SeriesBody, ServiceEntry } from '../../ui/src/api-answers.js';
import type { ServiceState } from '../../ui/src/service-state.js';
import { toLocalInput } from '../../ui/src/time-range.js';
import {
  customRange,
  customRangeOf,
  defaultService,
  endpointsQuery,
  flameSelection,
  loadKeys,
  needsNewWindow,
  selectedCpu,
  seriesQuery,
  serviceOptions,
  toggleEndpoint,
  versionsKey,
  versionsOf,
  versionsQuery,
  windowSummary,
  windowText,
} from '../../ui/src/views/service/model.js';

const state = (extra: Partial<ServiceState> = {}): ServiceState => ({
  service: 'checkout',
  range: { kind: 'preset', key: '1h' },
  env: '',
  version: '',
  endpoints: [],
  groupBy: 'endpoint',
  ...extra,
});
const period = { from: 1_700_000_000, to: 1_700_003_660 };

const service = (name: string, profiles: number, lastProfile: string | null, lastSpan: string | null = null) =>
  ({
    service: name,
    measures: profiles > 0 ? ['cpu'] : [],
    profiles,
    last_profile_at: lastProfile,
    spans: lastSpan ? 1 : 0,
    last_span_at: lastSpan,
  }) satisfies ServiceEntry;

const ranking = (endpoints: EndpointCpuBody['endpoints']): EndpointCpuBody => ({
  service: 'checkout',
  from: '2026-12-07T00:00:00Z',
  to: '2026-12-07T01:00:00Z',
  measure: 'cpu',
  unit: 'nanoseconds',
  sample_type: 'cpu/nanoseconds',
  total_value: endpoints.reduce((sum, e) => sum + e.value, 0),
  endpoints,
  truncated: false,
});

describe('web UI service view model', () => {
  it('opens on the most recently profiled service, services with spans only last', () => {
    const services = [
      service('spans-only', 0, null, '2024-06-03T15:00:00Z'),
      service('old', 10, '2024-06-01T10:00:00Z'),
      service('recent', 3, '2024-06-03T12:00:00Z'),
    ];
    expect(defaultService(services)).toBe('recent');
    expect(defaultService([])).toBeUndefined();
  });

  it('lists a service named in the URL but not known first, and marks services with spans only', () => {
    const services = [service('api', 1, '2024-06-03T12:00:00Z'), service('web', 0, null, '2024-06-03T12:00:00Z')];
    expect(serviceOptions(services, 'gone')).toEqual([
      { value: 'gone', label: 'gone' },
      { value: 'api', label: 'api' },
      { value: 'web', label: 'web (spans only)' },
    ]);
    expect(serviceOptions(services, 'api').map((o) => o.value)).toEqual(['api', 'web']);
  });

  it('takes a custom range only when both ends parse and the end comes after the start', () => {
    const start = 1_700_000_040;
    expect(customRange(toLocalInput(start), toLocalInput(start + 3600))).toEqual({
      kind: 'custom',
      from: start,
      to: start + 3600,
    });
    expect(customRange(toLocalInput(start), toLocalInput(start))).toBeUndefined();
    expect(customRange(toLocalInput(start + 60), toLocalInput(start))).toBeUndefined();
    expect(customRange('', toLocalInput(start))).toBeUndefined();
  });

  it('starts a custom range from the current window widened to whole seconds', () => {
    expect(customRangeOf({ from: 100.7, to: 200.2 })).toEqual({ kind: 'custom', from: 100, to: 201 });
  });

  it('resolves the window again when the range or the service changes, not on other filters', () => {
    const before = state();
    expect(needsNewWindow(before, state({ range: { kind: 'preset', key: '6h' } }))).toBe(true);
    expect(needsNewWindow(before, state({ service: 'other' }))).toBe(true);
    expect(needsNewWindow(before, state({ env: 'prod', version: '1.2', endpoints: ['GET /a'] }))).toBe(false);
  });

  it('ticks an endpoint once and unticks it', () => {
    expect(toggleEndpoint(['GET /a'], 'POST /b', true)).toEqual(['GET /a', 'POST /b']);
    expect(toggleEndpoint(['GET /a'], 'GET /a', true)).toEqual(['GET /a']);
    expect(toggleEndpoint(['GET /a', 'POST /b'], 'GET /a', false)).toEqual(['POST /b']);
  });

  it('sums the CPU of the ticked endpoints of the last ranking', () => {
    const answer = ranking([
      { endpoint: 'GET /a', value: 30, share: 0.3 },
      { endpoint: 'POST /b', value: 50, share: 0.5 },
      { endpoint: null, value: 20, share: 0.2 },
    ]);
    expect(selectedCpu(answer, ['GET /a', 'POST /b'])).toBe(80);
    expect(selectedCpu(answer, ['GET /gone'])).toBe(0);
    expect(selectedCpu(undefined, ['GET /a'])).toBe(0);
  });

  it('fetches the ranking again only for new filters, the chart and flame graph for a new selection too', () => {
    const keys = loadKeys(state(), period);
    const ticked = loadKeys(state({ endpoints: ['GET /a'] }), period);
    const grouped = loadKeys(state({ groupBy: 'version' }), period);
    const filtered = loadKeys(state({ env: 'prod' }), period);
    expect(ticked.endpoints).toBe(keys.endpoints);
    expect(ticked.series).not.toBe(keys.series);
    expect(ticked.flame).not.toBe(keys.flame);
    expect(grouped.endpoints).toBe(keys.endpoints);
    expect(grouped.series).not.toBe(keys.series);
    expect(grouped.flame).toBe(keys.flame);
    expect(filtered.endpoints).not.toBe(keys.endpoints);
    expect(loadKeys(state(), { from: period.from + 1, to: period.to }).endpoints).not.toBe(keys.endpoints);
  });

  it('asks for the ranking without the endpoint selection, the chart with it, its step and grouping', () => {
    const selected = state({ env: 'prod', endpoints: ['GET /a', 'POST /b'], groupBy: 'version' });
    expect(Object.fromEntries(endpointsQuery(selected, period))).toEqual({
      service: 'checkout',
      from: '1700000000',
      to: '1700003660',
      env: 'prod',
    });
    const chart = seriesQuery(selected, period);
    expect(chart.getAll('endpoint')).toEqual(['GET /a', 'POST /b']);
    expect(chart.get('step')).toBe('60');
    expect(chart.get('group_by')).toBe('version');
  });

  it('suggests the versions of the window in one bucket, whatever version is filtered', () => {
    const filtered = state({ version: '1.2', env: 'prod', endpoints: ['GET /a'] });
    const params = versionsQuery(filtered, period);
    expect(Object.fromEntries(params)).toEqual({
      service: 'checkout',
      from: '1700000000',
      to: '1700003660',
      env: 'prod',
      group_by: 'version',
      step: '3660',
    });
    expect(versionsKey(filtered, period)).toBe(versionsKey(state({ env: 'prod' }), period));
    expect(versionsKey(filtered, period)).not.toBe(versionsKey(state(), period));
  });

  it('reads the named versions of a grouped answer', () => {
    const series = (key: string | null) => ({ key, total_value: 1, points: [] });
    const answer: SeriesBody = {
      service: 'checkout',
      measure: 'cpu',
      unit: 'nanoseconds',
      from: period.from,
      to: period.to,
      step: 3660,
      group_by: 'version',
      timestamps: [period.from],
      total_value: 4,
      series: [series('1.2'), series(null), series(''), series('1.3')],
    };
    expect(versionsOf(answer)).toEqual(['1.2', '1.3']);
  });

  it('titles the flame graph with the service or the ticked endpoints and the window', () => {
    const all = flameSelection(state(), period);
    expect(all.title).toBe(`All CPU of checkout · ${windowText(period)}`);
    expect(all.downloadName).toBe('checkout-cpu.pprof.gz');
    const some = flameSelection(state({ endpoints: ['GET /a', 'POST /b'] }), period);
    expect(some.title).toBe(`checkout: “GET /a”, “POST /b” · ${windowText(period)}`);
    expect(some.params.getAll('endpoint')).toEqual(['GET /a', 'POST /b']);
  });

  it('names the env and version under the filters only when they are set', () => {
    expect(windowSummary(state(), period)).toBe(`checkout · ${windowText(period)}`);
    expect(windowSummary(state({ env: 'prod', version: '1.2' }), period)).toBe(
      `checkout · ${windowText(period)} · env prod · version 1.2`,
    );
  });
});
