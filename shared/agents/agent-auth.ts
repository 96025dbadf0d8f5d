import type { Authenticator } from '../platform/auth.js';
import { unauthorized } from '../platform/errors.js';

/**
 * Tenant of a request on an agent-facing route (Datadog agent API, Pyroscope ingest, OTLP).
 * Agents in "agent mode" send no key (dd-trace-go sends DD-API-KEY only when DD_API_KEY is set),
 * so besides the usual headers three documented ways exist, tried in this order:
 *  - a key in the URL path: point the agent at `https://<api>/k/<key>` (dd-trace-go, ddtrace and
 *    the Pyroscope SDKs keep a path prefix of their URL), which routes `/k/{key}/profiling/v1/input`
 *    etc.;
 *  - a key in `Datadog-External-Env`: the header every Datadog tracer (dd-trace-js, ddtrace and
 *    its libdatadog exporter, dd-trace-go's trace writer) copies from `DD_EXTERNAL_ENV` onto each
 *    request to the agent. `DD_EXTERNAL_ENV=hk-<key>` (alone or as one item of its comma list)
 *    reaches the tenant from a tracer that drops the URL's path (dd-trace-js). A header, so the key
 *    is neither stored with the payload nor seen in DNS or TLS SNI;
 *  - a trusted network: HOTSPOTS_AGENT_TRUSTED_TENANT names the tenant that key-less agent
 *    requests belong to. Only for deployments whose API is reachable from a private network alone.
 * The path and hk- forms come first because they can only mean Hotspots, while DD-API-KEY may be a
 * Datadog key the app sends as well. A key writes only into its own tenant; a wrong key is a 401.
 */
export interface AgentAuthSettings {
  trustedTenant: string | undefined;
}

/** The item of `Datadog-External-Env` that carries a Hotspots key (the agent's own items are `it-`, `cn-`, `pu-`). */
export const EXTERNAL_ENV_KEY_PREFIX = 'hk-';

/** The key in a `Datadog-External-Env` header, if it carries one; more than one is refused. */
export function externalEnvKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const keys = header
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.startsWith(EXTERNAL_ENV_KEY_PREFIX))
    .map((item) => item.slice(EXTERNAL_ENV_KEY_PREFIX.length));
  if (keys.length > 1) throw unauthorized(`Datadog-External-Env carries more than one ${EXTERNAL_ENV_KEY_PREFIX} key`);
  const [key] = keys;
  if (key === '') throw unauthorized(`Datadog-External-Env carries an empty ${EXTERNAL_ENV_KEY_PREFIX} key`);
  return key;
}

export function agentTenantOf(
  auth: Authenticator,
  settings: AgentAuthSettings,
  headers: Record<string, string | undefined>,
  pathKey: string | undefined,
): string {
  if (pathKey !== undefined && pathKey !== '') return auth.tenantOf({ authorization: `Bearer ${pathKey}` });
  const envKey = externalEnvKey(headers['datadog-external-env']);
  if (envKey !== undefined) return auth.tenantOf({ authorization: `Bearer ${envKey}` });
  if (headers.authorization !== undefined || headers['dd-api-key'] !== undefined) return auth.tenantOf(headers);
  if (settings.trustedTenant !== undefined) return settings.trustedTenant;
  throw unauthorized(
    'missing API key: send DD-API-KEY or Authorization: Bearer <key>, point the agent at <api>/k/<key>, or set DD_EXTERNAL_ENV=hk-<key> in the traced app',
  );
}
