import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../shared/platform/auth.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';

const keys = [
  { key: 'acme-key-0001', tenant: 'acme' },
  { key: 'globex-key-0002', tenant: 'globex' },
];

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
    expectHotspotsError(() => auth.tenantOf({}), { code: 'unauthorized', status: 401, retriable: false });
  });

  it('says how to send a key when none was sent', () => {
    expect(() => auth.tenantOf({})).toThrow(/missing API key/);
  });

  it('refuses an unknown key as unauthorized', () => {
    expectHotspotsError(() => auth.tenantOf({ authorization: 'Bearer not-a-known-key' }), {
      code: 'unauthorized',
      message: 'invalid API key',
    });
  });

  it('refuses a key that only differs in case', () => {
    expectHotspotsError(() => auth.tenantOf({ 'dd-api-key': 'ACME-KEY-0001' }), { code: 'unauthorized' });
  });

  it('refuses a prefix of a known key', () => {
    expectHotspotsError(() => auth.tenantOf({ 'dd-api-key': 'acme-key-000' }), { code: 'unauthorized' });
  });

  it('refuses an empty Bearer token as a missing key', () => {
    expectHotspotsError(() => auth.tenantOf({ authorization: 'Bearer ' }), {
      code: 'unauthorized',
      message: /missing API key/,
    });
  });

  it('refuses a blank DD-API-KEY as a missing key', () => {
    expectHotspotsError(() => auth.tenantOf({ 'dd-api-key': '   ' }), { message: /missing API key/ });
  });

  it('reads header names only in lower case, as the HTTP adapter passes them', () => {
    expectHotspotsError(() => auth.tenantOf({ Authorization: 'Bearer acme-key-0001' }), { code: 'unauthorized' });
  });

  it('does not echo the presented key in its error', () => {
    const error = expectHotspotsError(() => auth.tenantOf({ 'dd-api-key': 'leaked-secret-123' }));

    expect(error.message).not.toContain('leaked-secret-123');
  });

  it('refuses every key when it was built without any', () => {
    expectHotspotsError(() => createAuthenticator([]).tenantOf({ 'dd-api-key': 'acme-key-0001' }), {
      code: 'unauthorized',
    });
  });
});
