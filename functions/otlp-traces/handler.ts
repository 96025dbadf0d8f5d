import { httpRoute } from '../../shared/app/http-route.js';
import { encodeOtlpResponse } from '../../shared/spans/otlp.js';
import { bodyEncodingOf, otlpFormat } from '../../shared/spans/payload.js';

/**
 * POST /v1/traces and /k/{key}/v1/traces — OTLP/HTTP, protobuf or JSON → 200 with an
 * ExportTraceServiceResponse in the request's encoding (partial success when spans were refused).
 */
export const handler = httpRoute({ auth: 'agent' }, async ({ request, tenant, useCases }) => {
  const format = otlpFormat(request.headers['content-type']);
  const encoding = bodyEncodingOf(request.headers['content-encoding']);
  const result = await useCases.ingestTraces(tenant, format, encoding, request.body);
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
