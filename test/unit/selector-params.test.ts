import { describe, expect, it } from 'vitest';
import {
  MAX_ENDPOINT_FILTERS,
  parseCpuSelector,
  parseSpanIdParam,
  parseTraceId,
} from '../../shared/query/sql/selector-params.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';

const DAY = 24 * 3600;
const params = (query: string) => new URLSearchParams(query);

describe('parseCpuSelector', () => {
  it('reads a span by its decimal id', () => {
    expect(parseCpuSelector(params('span_id=123'), DAY)).toEqual({ kind: 'span', spanId: '123', endpoints: undefined });
  });

  it('reads a span id given as 16 hex digits as the same decimal id', () => {
    expect(parseCpuSelector(params('span_id=ffffffffffffffff'), DAY)).toMatchObject({
      kind: 'span',
      spanId: '18446744073709551615',
    });
  });

  it('reads a request by its local root span id', () => {
    expect(parseCpuSelector(params('local_root_span_id=0x2a'), DAY)).toMatchObject({
      kind: 'local_root',
      localRootSpanId: '42',
    });
  });

  it('reads a trace by its id, normalised to 32 lowercase hex digits', () => {
    expect(parseCpuSelector(params('trace_id=0AF7651916CD43DD8448EB211C80319C'), DAY)).toMatchObject({
      kind: 'trace',
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
  });

  it('narrows any selector by repeated endpoint parameters', () => {
    expect(parseCpuSelector(params('span_id=1&endpoint=GET+%2Fa&endpoint=GET+%2Fb'), DAY)).toMatchObject({
      endpoints: ['GET /a', 'GET /b'],
    });
  });

  it('reads a service window with its optional filters', () => {
    const selector = parseCpuSelector(params('service=checkout&from=1000&to=2000&env=prod&version=1.2.3'), DAY);

    expect(selector).toEqual({
      kind: 'service',
      service: 'checkout',
      from: 1000,
      to: 2000,
      env: 'prod',
      version: '1.2.3',
    });
  });

  it('leaves empty env and version filters out of a service window', () => {
    const selector = parseCpuSelector(params('service=checkout&from=1000&to=2000&env=&version='), DAY);

    expect(selector).toEqual({ kind: 'service', service: 'checkout', from: 1000, to: 2000 });
  });

  it('refuses more than one of span_id, local_root_span_id and trace_id, naming them', () => {
    expectHotspotsError(() => parseCpuSelector(params('span_id=1&trace_id=2'), DAY), {
      code: 'bad_request',
      message: 'give only one of span_id, local_root_span_id, trace_id (got span_id, trace_id)',
    });
  });

  it('refuses a query that names no span, trace or service', () => {
    expectHotspotsError(() => parseCpuSelector(params('from=1000&to=2000'), DAY), {
      code: 'bad_request',
      message: /^service is required/,
    });
  });

  it('refuses a service without a window', () => {
    expectHotspotsError(() => parseCpuSelector(params('service=checkout'), DAY), {
      code: 'bad_request',
      message: 'from and to are required',
    });
  });

  it('refuses a service window wider than the limit', () => {
    expectHotspotsError(() => parseCpuSelector(params(`service=checkout&from=0&to=${DAY + 1}`), DAY), {
      code: 'bad_request',
      message: /wider than the limit/,
    });
  });

  it('refuses more endpoint filters than the limit', () => {
    const query = Array.from({ length: MAX_ENDPOINT_FILTERS + 1 }, (_, i) => `endpoint=e${i}`).join('&');

    expectHotspotsError(() => parseCpuSelector(params(`span_id=1&${query}`), DAY), {
      code: 'bad_request',
      message: `at most ${MAX_ENDPOINT_FILTERS} endpoint filters`,
    });
  });
});

describe('parseSpanIdParam', () => {
  it('trims the id', () => {
    expect(parseSpanIdParam(' 42 ', 'span_id')).toBe('42');
  });

  it.each([['0'], ['0000000000000000'], ['-1'], ['18446744073709551616'], ['12abc'], [''], [null]])(
    'refuses %j, naming the parameter',
    (text) => {
      expectHotspotsError(() => parseSpanIdParam(text, 'local_root_span_id'), {
        code: 'bad_request',
        message: /^local_root_span_id must be a non-zero 64-bit id/,
      });
    },
  );
});

describe('parseTraceId', () => {
  it('pads a 64-bit trace id of 16 hex digits to 32', () => {
    expect(parseTraceId('8448EB211C80319C')).toBe('00000000000000008448eb211c80319c');
  });

  it('reads a decimal 64-bit trace id, as Datadog sends it, as hex', () => {
    expect(parseTraceId('18446744073709551615')).toBe('0000000000000000ffffffffffffffff');
  });

  it.each([['18446744073709551616'], ['0af7651916cd43dd8448eb211c80319'], ['xyz'], [''], [undefined]])(
    'refuses %j',
    (text) => {
      expectHotspotsError(() => parseTraceId(text), {
        code: 'bad_request',
        message: /^trace_id must be 32 hex digits/,
      });
    },
  );
});
