import type { Authenticator } from '../platform/auth.js';
import { unauthorized } from '../platform/errors.js';

/**
 * Tenant of a request on an agent-facing route (Datadog agent API, Pyroscope ingest, OTLP).
 * Agents in "agent mode" send no key (dd-trace-go sends DD-API-KEY only when DD_API_KEY is set),
 * so besides the usual headers two documented ways exist:
 *  - a key in the URL path: point the agent at `https://<api>/k/<key>` (dd-trace-go keeps a path
 *    prefix of DD_TRACE_AGENT_URL), which routes `/k/{key}/profiling/v1/input` etc.;
 *  - a trusted network: HOTSPOTS_AGENT_TRUSTED_TENANT names the tenant that key-less agent
 *    requests belong to. Only for deployments whose API is reachable from a private network alone.
 */
export interface AgentAuthSettings {
  trustedTenant: string | undefined;
}

export function agentTenantOf(
  auth: Authenticator,
  settings: AgentAuthSettings,
  headers: Record<string, string | undefined>,
  pathKey: string | undefined,
): string {
  if (pathKey !== undefined && pathKey !== '') return auth.tenantOf({ authorization: `Bearer ${pathKey}` });
  if (headers.authorization !== undefined || headers['dd-api-key'] !== undefined) return auth.tenantOf(headers);
  if (settings.trustedTenant !== undefined) return settings.trustedTenant;
  throw unauthorized(
    'missing API key: send DD-API-KEY or Authorization: Bearer <key>, or point the agent at <api>/k/<key>',
  );
}
