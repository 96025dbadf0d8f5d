import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { inject } from 'vitest';
import { createDeps, type Deps } from '../../shared/app/deps.js';
import { type Config, loadConfig } from '../../shared/platform/config.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { sql } from '../../shared/platform/sql.js';
import { createProfileDecoder } from '../../shared/pprof/index.js';
import type { ProcessProfilesDeps } from '../../shared/profiles/process-profiles.js';
import { testApiKeys } from './global-setup.js';
import { modernClickHouseRequested, withModernClickHouse } from './modern-clickhouse.js';

/** Helpers for tests that run against the real stack started by global-setup.ts. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...inject('appEnv'), HOTSPOTS_API_KEYS: testApiKeys, HOTSPOTS_LOG_LEVEL: 'warn', ...overrides });
}

export function testDeps(overrides: Record<string, string> = {}): Deps {
  const deps = createDeps(testConfig(overrides));
  // Deps aimed at another server or database keep to 18.16 (test/support/modern-clickhouse.ts).
  const ownDatabase =
    overrides.HOTSPOTS_CLICKHOUSE_URL === undefined && overrides.HOTSPOTS_CLICKHOUSE_DATABASE === undefined;
  return modernClickHouseRequested() && ownDatabase ? withModernClickHouse(deps) : deps;
}

/** A service name no other test (or earlier run) uses: isolation by unique names. */
export const uniqueService = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Polls until `check` returns a value; fails loudly naming what it waited for and the last value. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await delay(200);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}

export async function waitForCommittedProfiles(deps: Deps, tenant: string, profileIds: string[]): Promise<void> {
  await waitUntil(`profiles ${profileIds.join(', ')} to be committed in ClickHouse`, async () => {
    const rows = await deps.db.query<{ n: string }>(
      sql`SELECT count(DISTINCT profile_id) AS n FROM profiles WHERE tenant = ${tenant} AND has(${profileIds}, profile_id)`,
    );
    return Number(rows[0]?.n) === profileIds.length ? true : undefined;
  });
}

export interface UploadResult {
  status: number;
  body: { profile_id?: string; error?: { code: string; message: string } };
}

export async function uploadProfile(
  bytes: Uint8Array,
  query: Record<string, string>,
  options: { apiKey?: string | null; contentType?: string | null } = {},
): Promise<UploadResult> {
  const headers: Record<string, string> = {};
  const key = options.apiKey === undefined ? inject('apiKey') : options.apiKey;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const contentType = options.contentType === undefined ? 'application/octet-stream' : options.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const answer = await fetch(`${inject('apiUrl')}/v1/profiles?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers,
    body: bytes,
  });
  return { status: answer.status, body: (await answer.json()) as UploadResult['body'] };
}

export async function getJson<T>(
  path: string,
  options: { apiKey?: string | null } = {},
): Promise<{ status: number; body: T }> {
  const key = options.apiKey === undefined ? inject('apiKey') : options.apiKey;
  const answer = await fetch(`${inject('apiUrl')}${path}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  return { status: answer.status, body: (await answer.json()) as T };
}

/**
 * The profiles consumer's dependencies over `deps`, as the tests run it: default label mapping,
 * the WebAssembly decoder, dead letters to S3 only (no topic), no retry budget.
 */
export function profileConsumerDeps(deps: Deps): ProcessProfilesDeps {
  return {
    rawStore: deps.rawStore,
    db: deps.db,
    logger: deps.logger,
    limits: deps.config.limits,
    labelMappingFor: () => defaultLabelMapping,
    decoder: createProfileDecoder({ decoder: 'wasm' }),
    deadLetterPrefix: deps.config.deadLetterPrefix,
  };
}
