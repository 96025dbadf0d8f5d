import { type RangeChoice, rangeFromQuery, rangeToQuery, type Window } from './time-range.js';

/**
 * What the service view shows, kept in the URL's query string so any view is a link:
 * `/?service=checkout&range=1h&env=prod&endpoint=GET%20%2Fa&endpoint=…&group=version`.
 */
export interface ServiceState {
  service: string | null;
  range: RangeChoice;
  env: string;
  version: string;
  endpoints: string[];
  groupBy: 'endpoint' | 'version';
}

export function serviceStateFromQuery(query: URLSearchParams): ServiceState {
  return {
    service: query.get('service') || null,
    range: rangeFromQuery(query),
    env: query.get('env') ?? '',
    version: query.get('version') ?? '',
    endpoints: [...new Set(query.getAll('endpoint'))],
    groupBy: query.get('group') === 'version' ? 'version' : 'endpoint',
  };
}

export function serviceStateToQuery(state: ServiceState): URLSearchParams {
  const query = new URLSearchParams();
  if (state.service) query.set('service', state.service);
  rangeToQuery(state.range, query);
  if (state.env) query.set('env', state.env);
  if (state.version) query.set('version', state.version);
  for (const endpoint of state.endpoints) query.append('endpoint', endpoint);
  if (state.groupBy === 'version') query.set('group', 'version');
  return query;
}

/** Parameters of the query API for this state and a resolved window. */
export function apiParams(state: ServiceState, window: Window, options: { endpoints?: boolean } = {}): URLSearchParams {
  const params = new URLSearchParams({
    service: state.service ?? '',
    from: String(window.from),
    to: String(window.to),
  });
  if (state.env) params.set('env', state.env);
  if (state.version) params.set('version', state.version);
  if (options.endpoints) for (const endpoint of state.endpoints) params.append('endpoint', endpoint);
  return params;
}
