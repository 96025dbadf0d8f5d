import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { clickhouseFailure } from '../../shared/platform/adapters/clickhouse/database.js';
import { HotspotsError, httpErrorOf, isRetriable } from '../../shared/platform/errors.js';
import { errorResponse } from '../../shared/platform/lambda-http.js';
import type { Logger } from '../../shared/platform/logger.js';

/** What ClickHouse 18.16 answers to a statement past max_query_size, as the client hands it over. */
const SQL_FRAGMENT = "tenant = 'acme' AND span_id IN (887100327897, 887226948345";
const tooLarge1816 = new Error(
  `Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 262136: ${SQL_FRAGMENT}. Max query size exceeded, e.what() = DB::Exception\n`,
);
/** The same failure from a current server, parsed by the client. */
const tooLargeCurrent = new ClickHouseError({
  message: `Syntax error: failed at position 262136 (${SQL_FRAGMENT}): Max query size exceeded. `,
  code: '62',
  type: 'SYNTAX_ERROR',
});

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (message, fields) => lines.push({ message, ...fields }),
    child: () => logger,
  };
  return { logger, lines };
}

describe('clickhouseFailure', () => {
  it.each([
    ['18.16', tooLarge1816],
    ['current servers', tooLargeCurrent],
  ])('makes a syntax error from %s a non-retriable internal error without the SQL', (_server, cause) => {
    const error = clickhouseFailure('query', cause);

    expect([error.code, error.retriable, isRetriable(error)]).toEqual(['internal', false, false]);
    expect(error.message).toBe('ClickHouse refused the query: SYNTAX_ERROR (code 62)');
    expect(error.cause).toBe(cause);
  });

  it.each([
    [53, 'TYPE_MISMATCH'],
    [47, 'UNKNOWN_IDENTIFIER'],
    [43, 'ILLEGAL_TYPE_OF_ARGUMENT'],
    [46, 'UNKNOWN_FUNCTION'],
    [168, 'TOO_BIG_AST'],
  ])('makes code %i (%s) a non-retriable internal error', (code, name) => {
    const error = clickhouseFailure('query', new Error(`Code: ${code}, e.displayText() = DB::Exception: x`));

    expect([error.code, error.retriable, error.message]).toEqual([
      'internal',
      false,
      `ClickHouse refused the query: ${name} (code ${code})`,
    ]);
  });

  it('keeps what a retry can fix retriable, naming the code only', () => {
    const memory = clickhouseFailure(
      'insert into samples',
      new Error('Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded: would use 9.31 GiB'),
    );

    expect([memory.code, memory.retriable, memory.message]).toEqual([
      'unavailable',
      true,
      'ClickHouse insert into samples failed (code 241)',
    ]);
  });

  it('names a network failure by its code, without the host', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:8123'), { code: 'ECONNREFUSED' });

    const error = clickhouseFailure('query', refused);

    expect([error.code, error.retriable, error.message]).toEqual([
      'unavailable',
      true,
      'ClickHouse query failed (ECONNREFUSED)',
    ]);
  });

  it('answers a statement fault with a generic 500, no Retry-After, and logs the cause', () => {
    const { logger, lines } = recordingLogger();

    const response = errorResponse(clickhouseFailure('query', tooLarge1816), logger);

    expect([response.statusCode, response.headers?.['retry-after'], JSON.parse(String(response.body))]).toEqual([
      500,
      undefined,
      { error: { code: 'internal', message: 'internal error' } },
    ]);
    expect(lines).toEqual([
      expect.objectContaining({
        status: 500,
        error: 'ClickHouse refused the query: SYNTAX_ERROR (code 62)',
        cause: expect.stringContaining(SQL_FRAGMENT),
      }),
    ]);
  });
});

describe('httpErrorOf', () => {
  it('never shows the message of an internal error', () => {
    expect(httpErrorOf(new HotspotsError('internal', 'SELECT secret FROM t'))).toEqual({
      status: 500,
      code: 'internal',
      message: 'internal error',
    });
  });
});
