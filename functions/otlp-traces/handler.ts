import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { agentTenantOf } from '../../shared/agents/agent-auth.js';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp } from '../../shared/platform/lambda-http.js';
import { ingestTraces } from '../../shared/spans/ingest-traces.js';
import { encodeOtlpResponse } from '../../shared/spans/otlp.js';
import { bodyEncodingOf, otlpFormat } from '../../shared/spans/payload.js';

/**
 * POST /v1/traces and /k/{key}/v1/traces — OTLP/HTTP, protobuf or JSON → 200 with an
 * ExportTraceServiceResponse in the request's encoding (partial success when spans were refused).
 */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = agentTenantOf(
      deps.auth,
      { trustedTenant: deps.config.agentTrustedTenant },
      request.headers,
      request.pathParameters.key,
    );
    const format = otlpFormat(request.headers['content-type']);
    const result = await ingestTraces(
      {
        rawStore: deps.rawStore,
        publisher: deps.publisher,
        spansTopic: deps.config.kafka.spansTopic,
        rawBucket: deps.config.s3.bucket,
        limits: { ...deps.config.spanLimits, ...deps.config.limits },
        now: () => new Date(),
        newId: randomUUID,
      },
      { tenant, format, encoding: bodyEncodingOf(request.headers['content-encoding']), body: request.body },
    );
    const json = format === 'otlp-json';
    const answer = encodeOtlpResponse(result.rejected, result.rejectionMessage, json ? 'json' : 'protobuf');
    return {
      statusCode: 200,
      headers: { 'content-type': answer.contentType, 'cache-control': 'no-store' },
      // Protobuf answers are binary: API Gateway decodes base64 bodies flagged as such.
      body: json ? answer.body.toString('utf8') : answer.body.toString('base64'),
      isBase64Encoded: !json,
    };
  });
};
