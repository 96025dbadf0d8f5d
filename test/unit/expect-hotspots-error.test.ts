import { describe, expect, it } from 'vitest';
import { badRequest, HotspotsError, unavailable } from '../../shared/platform/errors.js';
import { expectHotspotsError, expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';

/** The helper stands in for a hundred assertions: it must never pass when the call misbehaves. */
describe('expectHotspotsError', () => {
  it('returns the thrown error when every expected field matches', () => {
    const thrown = badRequest('from must be before to');

    const error = expectHotspotsError(
      () => {
        throw thrown;
      },
      { code: 'bad_request', status: 400, retriable: false, message: /before/ },
    );

    expect(error).toBe(thrown);
  });

  it('fails when a field differs', () => {
    expect(() =>
      expectHotspotsError(
        () => {
          throw badRequest('x');
        },
        { status: 413 },
      ),
    ).toThrow(/413/);
  });

  it('matches a string message exactly, not as a part', () => {
    expect(() =>
      expectHotspotsError(
        () => {
          throw badRequest('service is required');
        },
        { message: 'service' },
      ),
    ).toThrow();
  });

  it('fails when the call returns', () => {
    expect(() => expectHotspotsError(() => 42)).toThrow('expected a HotspotsError, but the call returned');
  });

  it('fails on an error outside the hierarchy, naming it', () => {
    expect(() =>
      expectHotspotsError(() => {
        throw new TypeError('boom');
      }),
    ).toThrow('expected a HotspotsError, but got TypeError: boom');
  });

  it('fails on a promise, pointing at the async form', () => {
    expect(() => expectHotspotsError(() => Promise.reject(badRequest('x')))).toThrow(/expectHotspotsErrorAsync/);
  });
});

describe('expectHotspotsErrorAsync', () => {
  it('returns the rejection when every expected field matches', async () => {
    const error = await expectHotspotsErrorAsync(() => Promise.reject(unavailable('S3 down')), {
      code: 'unavailable',
      retriable: true,
    });

    expect(error).toBeInstanceOf(HotspotsError);
  });

  it('fails when the promise resolves', async () => {
    await expect(expectHotspotsErrorAsync(() => Promise.resolve(1))).rejects.toThrow('the call resolved');
  });
});
