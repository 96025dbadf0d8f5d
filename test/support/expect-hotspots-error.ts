import { expect } from 'vitest';
import { type ErrorCode, HotspotsError } from '../../shared/platform/errors.js';

/**
 * The fields a test expects of a HotspotsError; the ones left out are not checked. A string
 * message must match exactly, a RegExp must match, and an asymmetric matcher such as
 * `expect.stringContaining(…)` is used as it is.
 */
export interface ExpectedHotspotsError {
  code?: ErrorCode;
  status?: number;
  retriable?: boolean;
  message?: string | RegExp;
}

function describeThrown(thrown: unknown): string {
  return thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
}

function checked(thrown: unknown, expected: ExpectedHotspotsError): HotspotsError {
  if (!(thrown instanceof HotspotsError)) {
    throw new Error(`expected a HotspotsError, but got ${describeThrown(thrown)}`, { cause: thrown });
  }
  const actual: Record<string, unknown> = {};
  const wanted: Record<string, unknown> = {};
  for (const key of ['code', 'status', 'retriable', 'message'] as const) {
    const value = expected[key];
    if (value === undefined) continue;
    actual[key] = thrown[key];
    wanted[key] = value instanceof RegExp ? expect.stringMatching(value) : value;
  }
  // One comparison of every expected field, so a failure shows them all side by side.
  expect(actual).toEqual(wanted);
  return thrown;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Runs `run`, which must throw a HotspotsError with the `expected` fields, and returns the
 * error for assertions on anything else (its cause, what its message must not contain).
 * For a function that returns a promise, use `expectHotspotsErrorAsync`.
 */
export function expectHotspotsError(run: () => unknown, expected: ExpectedHotspotsError = {}): HotspotsError {
  let returned: unknown;
  try {
    returned = run();
  } catch (thrown) {
    return checked(thrown, expected);
  }
  if (isPromiseLike(returned)) {
    // Settled here so that its rejection is not reported as unhandled on top of this failure.
    Promise.resolve(returned).catch(() => {});
    throw new Error('expected a HotspotsError, but the call returned a promise: use expectHotspotsErrorAsync');
  }
  throw new Error('expected a HotspotsError, but the call returned without throwing');
}

/** `expectHotspotsError` for a call that rejects (or throws before returning its promise). */
export async function expectHotspotsErrorAsync(
  run: () => unknown,
  expected: ExpectedHotspotsError = {},
): Promise<HotspotsError> {
  try {
    await run();
  } catch (thrown) {
    return checked(thrown, expected);
  }
  throw new Error('expected a HotspotsError, but the call resolved');
}
