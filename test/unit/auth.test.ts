import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../shared/platform/auth.js';
import { HotspotsError } from '../../shared/platform/errors.js';

const keys = [
  { key: 'acme-key-0001', tenant: 'acme' },
  { key: 'globex-key-0002', tenant: 'globex' },
];

function errorOf(run: () => unknown): HotspotsError {
  try {
    run();
  } catch (error) {
    if (error instanceof HotspotsError) return error;
    throw error;
  }
  throw new Error('expected a HotspotsError');
}

describe('createAuthenticator', () => {
  const auth = createAuthenticator(keys);

  it('maps a Bearer key to its tenant', () => {
    expect(auth.tenantOf({ authorization: 'Bearer globex-key-0002' })).toBe('globex');
  });

  it('reads the Bearer scheme case-insensitively', () => {
    expect(auth.tenantOf({ authorization: 'bearer acme-key-0001' })).toBe('acme');
  });

  it('tolerates extra spaces around a Bearer key', () => {
    expect(auth.tenantOf({ authorization: 'Bearer   acme-key-0001  ' })).toBe('acme');
  });

  it('maps a DD-API-KEY header to its tenant', () => {
    expect(auth.tenantOf({ 'dd-api-key': 'acme-key-0001' })).toBe('acme');
  });

  it('trims the DD-API-KEY value', () => {
    expect(auth.tenantOf({ 'dd-api-key': ' globex-key-0002 ' })).toBe('globex');
  });

  it('prefers the Bearer key when both headers are sent', () => {
    const tenant = auth.tenantOf({ authorization: 'Bearer globex-key-0002', 'dd-api-key': 'acme-key-0001' });

    expect(tenant).toBe('globex');
  });

  it('falls back to DD-API-KEY when Authorization uses another scheme', () => {
    const tenant = auth.tenantOf({ authorization: 'Basic dXNlcjpwYXNz', 'dd-api-key': 'acme-key-0001' });

    expect(tenant).toBe('acme');
  });

  it('refuses a request without any key as unauthorized', () => {
    const error = errorOf(() => auth.tenantOf({}));

    expect([error.code, error.status, error.retriable]).toEqual(['unauthorized', 401, false]);
  });

  it('says how to send a key when none was sent', () => {
    expect(() => auth.tenantOf({})).toThrow(/missing API key/);
  });

  it('refuses an unknown key as unauthorized', () => {
    const error = errorOf(() => auth.tenantOf({ authorization: 'Bearer not-a-known-key' }));

    expect([error.code, error.message]).toEqual(['unauthorized', 'invalid API key']);
  });

  it('refuses a key that only differs in case', () => {
    const error = errorOf(() => auth.tenantOf({ 'dd-api-key': 'ACME-KEY-0001' }));

    expect(error.code).toBe('unauthorized');
  });

  it('refuses a prefix of a known key', () => {
    const error = errorOf(() => auth.tenantOf({ 'dd-api-key': 'acme-key-000' }));

    expect(error.code).toBe('unauthorized');
  });

  it('refuses an empty Bearer token as a missing key', () => {
    const error = errorOf(() => auth.tenantOf({ authorization: 'Bearer ' }));

    expect([error.code, error.message]).toEqual(['unauthorized', expect.stringMatching(/missing API key/)]);
  });

  it('refuses a blank DD-API-KEY as a missing key', () => {
    const error = errorOf(() => auth.tenantOf({ 'dd-api-key': '   ' }));

    expect(error.message).toMatch(/missing API key/);
  });

  it('reads header names only in lower case, as the HTTP adapter passes them', () => {
    const error = errorOf(() => auth.tenantOf({ Authorization: 'Bearer acme-key-0001' }));

    expect(error.code).toBe('unauthorized');
  });

  it('does not echo the presented key in its error', () => {
    const error = errorOf(() => auth.tenantOf({ 'dd-api-key': 'leaked-secret-123' }));

    expect(error.message).not.toContain('leaked-secret-123');
  });

  it('refuses every key when it was built without any', () => {
    const error = errorOf(() => createAuthenticator([]).tenantOf({ 'dd-api-key': 'acme-key-0001' }));

    expect(error.code).toBe('unauthorized');
  });
});
