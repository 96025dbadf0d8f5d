import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { agentTenantOf } from '../../shared/agents/agent-auth.js';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';
import { datadogAgentInfo, datadogAgentRoute, datadogTracesReply } from '../../shared/spans/datadog-agent-api.js';
import { ingestTraces } from '../../shared/spans/ingest-traces.js';
import { bodyEncodingOf, datadogFormat } from '../../shared/spans/payload.js';

/**
 * The Datadog agent API tracers use (besides profiling), with and without the `/k/{key}` prefix:
 * GET /info, PUT|POST /v0.4/traces and /v0.5/traces (msgpack) → 200 rate_by_service,
 * POST /telemetry/proxy/* → 202 (ignored).
 */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async (request) => {
    const route = datadogAgentRoute(request.path);
    if (route.kind === 'info') return jsonResponse(200, datadogAgentInfo);
    if (route.kind === 'telemetry') return jsonResponse(202, {});
    const tenant = agentTenantOf(
      deps.auth,
      { trustedTenant: deps.config.agentTrustedTenant },
      request.headers,
      request.pathParameters.key,
    );
    await ingestTraces(
      {
        rawStore: deps.rawStore,
        publisher: deps.publisher,
        spansTopic: deps.config.kafka.spansTopic,
        rawBucket: deps.config.s3.bucket,
        limits: { ...deps.config.spanLimits, ...deps.config.limits },
        now: () => new Date(),
        newId: randomUUID,
      },
      {
        tenant,
        format: datadogFormat(route.version, request.headers['content-type']),
        encoding: bodyEncodingOf(request.headers['content-encoding']),
        body: request.body,
      },
    );
    return jsonResponse(200, datadogTracesReply);
  });
};
