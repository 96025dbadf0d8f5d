import { describe, expect, it } from 'vitest';
import { getExact } from '../support/api.js';

/**
 * `service=A&service=B` answered for B on one route and for A on others: every query route now
 * refuses a repeated single-valued parameter with a 400 that names it.
 */
const window = 'from=2026-11-24T10:00:00Z&to=2026-11-24T11:00:00Z';

describe('repeated single-valued query parameters', () => {
  it.each([
    ['/v1/services', `from=2026-11-24T10:00:00Z&${window}`, 'from'],
    ['/v1/endpoints', `service=a&service=b&${window}`, 'service'],
    ['/v1/endpoints/cpu', `service=a&service=b&${window}`, 'service'],
    ['/v1/endpoints/cpu', `service=a&env=prod&env=dev&${window}`, 'env'],
    ['/v1/endpoints/timeseries', `service=a&service=b&${window}`, 'service'],
    ['/v1/endpoints/timeseries', `service=a&step=60&step=600&${window}`, 'step'],
    ['/v1/flamegraph', `service=a&service=b&${window}`, 'service'],
    ['/v1/flamegraph', 'span_id=1&span_id=2', 'span_id'],
    ['/v1/flamegraph', `service=a&format=json&format=pprof&${window}`, 'format'],
    ['/v1/flamegraph', `service=a&measure=cpu&measure=wall&${window}`, 'measure'],
    ['/v1/endpoints/cpu', `service=a&measure=cpu&measure=wall&${window}`, 'measure'],
    ['/v1/spans/1/hotspots', 'measure=cpu&measure=wall', 'measure'],
    ['/v1/traces/00000000000000000000000000abcdef', 'measure=cpu&measure=wall', 'measure'],
  ])('%s?%s answers 400 naming %s', async (path, query, name) => {
    const { status, body } = await getExact<{ error: { code: string; message: string } }>(`${path}?${query}`);

    expect([status, body.error.code, body.error.message]).toEqual([
      400,
      'bad_request',
      `query parameter "${name}" is given 2 times; it takes one value`,
    ]);
  });

  it.each([
    ['/v1/endpoints/timeseries', `service=a&endpoint=x&endpoint=y&${window}`],
    ['/v1/flamegraph', `service=a&endpoint=x&endpoint=y&${window}`],
  ])('%s still takes repeated endpoint filters', async (path, query) => {
    const { status } = await getExact(`${path}?${query}`);

    expect(status).toBe(200);
  });
});
