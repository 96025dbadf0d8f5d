import { httpRoute } from '../../shared/app/http-route.js';
import { notFound } from '../../shared/platform/errors.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';
import { datadogAgentInfo, datadogAgentRoute, datadogTracesReply } from '../../shared/spans/datadog-agent-api.js';
import { bodyEncodingOf, datadogFormat } from '../../shared/spans/payload.js';

/**
 * The Datadog agent API tracers use (besides profiling), with and without the `/k/{key}` prefix:
 * GET /info, PUT|POST /v0.4/traces and /v0.5/traces (msgpack) → 200 rate_by_service,
 * POST /telemetry/proxy/* → 202 (ignored), and the calls for features Hotspots lacks
 * (datadog-agent-api.ts: 404 or 202, dropped). Only trace uploads need a tenant.
 */
export const handler = httpRoute({ auth: 'none' }, async ({ request, useCases, authenticate }) => {
  const route = datadogAgentRoute(request.path);
  if (route.kind === 'info') return jsonResponse(200, datadogAgentInfo);
  if (route.kind === 'telemetry' || route.kind === 'discarded') return jsonResponse(202, {});
  if (route.kind === 'unsupported') throw notFound(`this agent has no ${route.feature}`);
  const tenant = authenticate('agent');
  const format = datadogFormat(route.version, request.headers['content-type']);
  await useCases.ingestTraces(tenant, format, bodyEncodingOf(request.headers['content-encoding']), request.body);
  return jsonResponse(200, datadogTracesReply);
});
