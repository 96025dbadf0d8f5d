import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** POST /v1/profiles — one pprof (raw, gzip or zstd) → 202 {"profile_id"}. */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) => {
  const { profileId } = await useCases.ingestProfile(tenant, request);
  return jsonResponse(202, { profile_id: profileId });
});
