import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from './config.js';
import { unauthorized } from './errors.js';

/** Hashing first gives equal-length buffers, so the comparison time says nothing about the key. */
const digest = (text: string) => createHash('sha256').update(text).digest();

export interface Authenticator {
  /** The caller's tenant, from `Authorization: Bearer <key>` or `DD-API-KEY: <key>`. */
  tenantOf(headers: Record<string, string | undefined>): string;
}

export function createAuthenticator(keys: readonly ApiKeyEntry[]): Authenticator {
  const entries = keys.map((entry) => ({ digest: digest(entry.key), tenant: entry.tenant }));
  const lookup = (key: string): string | undefined => {
    const candidate = digest(key);
    let tenant: string | undefined;
    // Every entry is compared, so timing does not reveal which (or whether one) matched early.
    for (const entry of entries) if (timingSafeEqual(candidate, entry.digest)) tenant = entry.tenant;
    return tenant;
  };
  return {
    tenantOf(headers) {
      const authorization = headers.authorization;
      const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
      const key = bearer ?? headers['dd-api-key']?.trim();
      if (!key) throw unauthorized('missing API key: send Authorization: Bearer <key> or DD-API-KEY: <key>');
      const tenant = lookup(key);
      if (tenant === undefined) throw unauthorized('invalid API key');
      return tenant;
    },
  };
}
