import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/**
 * POST /ingest and /k/{key}/ingest — Pyroscope's ingest API. Pyroscope SDKs treat only 200 as
 * success (pyroscope-go upstream/remote), so the answer is 200, not 202.
 */
export const handler = httpRoute({ auth: 'agent-basic' }, async ({ request, tenant, useCases, logger }) => {
  const stored = await useCases.ingestPyroscopeProfile(tenant, request);
  const [profile] = stored.profiles;
  logger.info('pyroscope profile stored', { tenant, service: stored.service, profile_id: profile?.profileId });
  return jsonResponse(200, { profile_id: profile?.profileId, upload_id: stored.uploadId });
});
