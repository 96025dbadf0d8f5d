import { httpRoute } from '../../shared/app/http-route.js';

/**
 * POST /v1development/profiles and /k/{key}/v1development/profiles — OTLP/HTTP profiles, protobuf
 * or JSON → 200 with an ExportProfilesServiceResponse in the request's encoding (partial success
 * when profiles were refused). The upload id (GET /v1/profiles/{id} lists its profiles) is in a header.
 */
export const handler = httpRoute({ auth: 'agent' }, async ({ request, tenant, useCases, logger }) => {
  const { uploadId, profiles, rejected, answer } = await useCases.ingestOtlpProfiles(tenant, request);
  logger.info('otlp profiles stored', { tenant, upload_id: uploadId, profiles: profiles.length, rejected });
  const json = answer.contentType === 'application/json';
  return {
    statusCode: 200,
    headers: {
      'content-type': answer.contentType,
      'cache-control': 'no-store',
      ...(uploadId === null ? {} : { 'x-hotspots-upload-id': uploadId }),
    },
    // Protobuf answers are binary: API Gateway decodes base64 bodies flagged as such.
    body: json ? answer.body.toString('utf8') : answer.body.toString('base64'),
    isBase64Encoded: !json,
  };
});
