import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/**
 * POST /profiling/v1/input and /k/{key}/profiling/v1/input — the Datadog agent's profiling intake
 * as dd-trace-go posts to it. Any 2xx is success for dd-trace-go (profiler/upload.go): 202 says
 * the attachments are stored and queued.
 */
export const handler = httpRoute({ auth: 'agent' }, async ({ request, tenant, useCases, logger }) => {
  const stored = await useCases.ingestDatadogProfiles(tenant, request);
  logger.info('datadog profiling upload stored', {
    tenant,
    service: stored.service,
    layout: stored.layout,
    upload_id: stored.uploadId,
    profiles: stored.profiles.length,
  });
  return jsonResponse(202, {
    upload_id: stored.uploadId,
    profiles: stored.profiles.map((p) => ({ profile_id: p.profileId, attachment: p.name })),
    stored_raw: stored.raw.map((r) => r.name),
  });
});
