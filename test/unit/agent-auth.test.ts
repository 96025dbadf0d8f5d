import { describe, expect, it } from 'vitest';
import { agentTenantOf, externalEnvKey } from '../../shared/agents/agent-auth.js';
import { createAuthenticator } from '../../shared/platform/auth.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';

const auth = createAuthenticator([
  { key: 'key-of-a', tenant: 'a' },
  { key: 'key-of-b', tenant: 'b' },
]);
const noTrust = { trustedTenant: undefined };
const tenantOf = (headers: Record<string, string>, pathKey?: string) => agentTenantOf(auth, noTrust, headers, pathKey);

describe('externalEnvKey (DD_EXTERNAL_ENV=hk-<key> → Datadog-External-Env)', () => {
  it('reads the key alone or as one item of the agent’s comma list', () => {
    expect(externalEnvKey('hk-key-of-a')).toBe('key-of-a');
    expect(externalEnvKey('it-false,cn-app, hk-key-of-a ,pu-1234')).toBe('key-of-a');
  });

  it('finds none in a header of the agent’s own items, or without the header', () => {
    expect(externalEnvKey('it-false,cn-app,pu-1234')).toBeUndefined();
    expect(externalEnvKey(undefined)).toBeUndefined();
  });

  it('refuses two keys or an empty one', () => {
    expectHotspotsError(() => externalEnvKey('hk-key-of-a,hk-key-of-b'), { status: 401 });
    expectHotspotsError(() => externalEnvKey('hk-'), { status: 401 });
  });
});

describe('agentTenantOf', () => {
  it('maps the Datadog-External-Env key to its tenant', () => {
    expect(tenantOf({ 'datadog-external-env': 'hk-key-of-a' })).toBe('a');
    expect(tenantOf({ 'datadog-external-env': 'it-false,hk-key-of-b' })).toBe('b');
  });

  it('refuses an unknown, cased or prefixed key without echoing it', () => {
    for (const header of ['hk-key-of-c', 'hk-KEY-OF-A', 'hk-key-of-', 'hk-key-of-a ,hk-x']) {
      const error = expectHotspotsError(() => tenantOf({ 'datadog-external-env': header }), { status: 401 });
      expect(error.message).not.toContain(header.slice(3));
    }
  });

  it('prefers the path key, then the External-Env key, to DD-API-KEY (which may be a Datadog key)', () => {
    expect(tenantOf({ 'datadog-external-env': 'hk-key-of-b', 'dd-api-key': 'a-datadog-key' })).toBe('b');
    expect(tenantOf({ 'datadog-external-env': 'hk-key-of-b' }, 'key-of-a')).toBe('a');
  });

  it('refuses an invalid External-Env key even when the network is trusted', () => {
    expectHotspotsError(
      () => agentTenantOf(auth, { trustedTenant: 'a' }, { 'datadog-external-env': 'hk-wrong' }, undefined),
      { status: 401 },
    );
    expect(agentTenantOf(auth, { trustedTenant: 'a' }, { 'datadog-external-env': 'it-false' }, undefined)).toBe('a');
  });

  it('says how to send a key when none was sent', () => {
    expectHotspotsError(() => tenantOf({}), { status: 401, message: /DD_EXTERNAL_ENV=hk-<key>/ });
  });
});
