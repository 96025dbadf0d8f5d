import { describe, expect, it } from 'vitest';
import { matchClientRoute, spanPath, tracePath } from '../../shared/web/client-routes.js';
import { serviceStateFromQuery, serviceStateToQuery } from '../../ui/src/service-state.js';
import { chooseStep, rangeFromQuery, resolveRange } from '../../ui/src/time-range.js';

describe('web UI routes and URL state', () => {
  it('routes the service, trace and span views and nothing else', () => {
    expect(matchClientRoute('/')).toEqual({ view: 'service' });
    expect(matchClientRoute(tracePath(' 0af7651916cd43dd8448eb211c80319c '))).toEqual({
      view: 'trace',
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
    expect(matchClientRoute(spanPath('18446744073709551557'))).toEqual({
      view: 'span',
      spanId: '18446744073709551557',
    });
    for (const path of ['/v1/services', '/traces/', '/spans/a%2Fb', '/traces/x/y', '/assets/app.js', '/healthz']) {
      expect({ path, route: matchClientRoute(path) }).toEqual({ path, route: undefined });
    }
  });

  it('keeps the service view state in the query string, endpoints repeated and in order', () => {
    const query = new URLSearchParams(
      'service=checkout&range=6h&env=prod&endpoint=GET+%2Fa&endpoint=POST+%2Fb%2C+c&endpoint=GET+%2Fa&group=version',
    );
    const state = serviceStateFromQuery(query);
    expect(state).toEqual({
      service: 'checkout',
      range: { kind: 'preset', key: '6h' },
      env: 'prod',
      version: '',
      endpoints: ['GET /a', 'POST /b, c'],
      groupBy: 'version',
    });
    expect(serviceStateFromQuery(serviceStateToQuery(state))).toEqual(state);
  });

  it('resolves presets relative to now and keeps custom windows as given', () => {
    expect(resolveRange({ kind: 'preset', key: '1h' }, 10_000.7)).toEqual({ from: 6_400, to: 10_060 });
    expect(rangeFromQuery(new URLSearchParams('range=custom&from=100&to=50'))).toEqual({ kind: 'preset', key: '1h' });
    expect(rangeFromQuery(new URLSearchParams('range=custom&from=100&to=500'))).toEqual({
      kind: 'custom',
      from: 100,
      to: 500,
    });
  });

  it('chooses round steps that keep the chart within the API’s point limit', () => {
    expect(chooseStep({ from: 0, to: 960 })).toBe(10);
    expect(chooseStep({ from: 0, to: 3660 })).toBe(60);
    expect(chooseStep({ from: 0, to: 7 * 86400 + 60 })).toBe(7200);
    expect((31 * 86400) / chooseStep({ from: 0, to: 31 * 86400 })).toBeLessThanOrEqual(1000);
  });
});
