import type { EndpointCpuBody, SeriesBody, ServiceEntry } from '../../api-answers.js';
import { formatClock } from '../../format.js';
import { apiParams, type ServiceState } from '../../service-state.js';
import { chooseStep, fromLocalInput, type RangeChoice, type Window } from '../../time-range.js';

/**
 * What the service view asks the API for and says about its selection, from the URL state and
 * the resolved window. No DOM and no fetch, so it is unit-tested.
 */
export function windowText(period: Window): string {
  return `${formatClock(period.from * 1000)} – ${formatClock(period.to * 1000)}`;
}

/** The line under the filters: service, window, and the env and version filters when set. */
export function windowSummary(state: ServiceState, period: Window): string {
  return `${state.service ?? ''} · ${windowText(period)}${state.env ? ` · env ${state.env}` : ''}${state.version ? ` · version ${state.version}` : ''}`;
}

/** The most recently profiled service (spans-only services last). */
export function defaultService(services: readonly ServiceEntry[]): string | undefined {
  const latest = (s: ServiceEntry) => Date.parse(s.last_profile_at ?? s.last_span_at ?? '') || 0;
  return [...services].sort((a, b) => Number(b.profiles > 0) - Number(a.profiles > 0) || latest(b) - latest(a))[0]
    ?.service;
}

export interface ServiceOption {
  value: string;
  label: string;
}

/**
 * The service picker's entries. A service named in the URL but not listed (no data in the
 * listing's window) stays first, so the picker never shows another service than the one queried.
 */
export function serviceOptions(services: readonly ServiceEntry[], current: string | null): ServiceOption[] {
  const names = services.map((s) => s.service);
  if (current && !names.includes(current)) names.unshift(current);
  const entries = new Map(services.map((s) => [s.service, s]));
  return names.map((name) => {
    const entry = entries.get(name);
    return { value: name, label: `${name}${entry && entry.profiles === 0 ? ' (spans only)' : ''}` };
  });
}

/** The custom range of two `datetime-local` values, or undefined unless both parse and end after start. */
export function customRange(fromValue: string, toValue: string): RangeChoice | undefined {
  const from = fromLocalInput(fromValue);
  const to = fromLocalInput(toValue);
  return from !== undefined && to !== undefined && to > from ? { kind: 'custom', from, to } : undefined;
}

/** The custom range a switch from a preset starts with: the current window, widened to whole seconds. */
export const customRangeOf = (period: Window): RangeChoice => ({
  kind: 'custom',
  from: Math.floor(period.from),
  to: Math.ceil(period.to),
});

/** A preset window is resolved again when the range or the service changes, not on other filters. */
export function needsNewWindow(previous: ServiceState, next: ServiceState): boolean {
  return JSON.stringify(previous.range) !== JSON.stringify(next.range) || previous.service !== next.service;
}

/** The endpoint selection after ticking or unticking one endpoint. */
export function toggleEndpoint(selected: readonly string[], endpoint: string, checked: boolean): string[] {
  const next = checked ? [...selected, endpoint] : selected.filter((e) => e !== endpoint);
  return [...new Set(next)];
}

/** CPU of the selected endpoints in an answer of `GET /v1/endpoints/cpu`. */
export function selectedCpu(answer: EndpointCpuBody | undefined, selected: readonly string[]): number {
  return (answer?.endpoints ?? [])
    .filter((e) => e.endpoint !== null && selected.includes(e.endpoint))
    .reduce((sum, e) => sum + e.value, 0);
}

/**
 * What each panel's answer depends on. A panel is fetched again only when its key changes: the
 * ranking ignores the endpoint selection (ticking keeps the table), the chart follows the
 * selection and grouping, the flame graph the selection only.
 */
export interface LoadKeys {
  endpoints: string;
  series: string;
  flame: string;
}

export function loadKeys(state: ServiceState, period: Window): LoadKeys {
  const base = JSON.stringify([state.service, period, state.env, state.version]);
  return {
    endpoints: base,
    series: JSON.stringify([base, state.endpoints, state.groupBy]),
    flame: JSON.stringify([base, state.endpoints]),
  };
}

export const endpointsQuery = (state: ServiceState, period: Window): URLSearchParams => apiParams(state, period);

export function seriesQuery(state: ServiceState, period: Window): URLSearchParams {
  const params = apiParams(state, period, { endpoints: true });
  params.set('step', String(chooseStep(period)));
  params.set('group_by', state.groupBy);
  return params;
}

/** Versions seen in the window, for the version filter's suggestions: one bucket grouped by version. */
export function versionsQuery(state: ServiceState, period: Window): URLSearchParams {
  const params = apiParams({ ...state, version: '' }, period);
  params.set('group_by', 'version');
  params.set('step', String(Math.ceil(period.to - period.from)));
  return params;
}

/** The versions named in an answer of `versionsQuery`. */
export const versionsOf = (answer: SeriesBody): string[] => answer.series.flatMap((s) => (s.key ? [s.key] : []));

/** Identifies the versions a suggestion list was fetched for (the version filter itself aside). */
export const versionsKey = (state: ServiceState, period: Window): string =>
  `${state.service}|${period.from}|${period.to}|${state.env}`;

export interface FlameSelection {
  title: string;
  params: URLSearchParams;
  downloadName: string;
}

/** The flame graph of the selected endpoints (all of the service's CPU when none is selected). */
export function flameSelection(state: ServiceState, period: Window): FlameSelection {
  const what =
    state.endpoints.length === 0
      ? `All CPU of ${state.service}`
      : `${state.service}: ${state.endpoints.map((e) => `“${e}”`).join(', ')}`;
  return {
    title: `${what} · ${windowText(period)}`,
    params: apiParams(state, period, { endpoints: true }),
    downloadName: `${state.service}-cpu.pprof.gz`,
  };
}
