import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /v1/profiles/{profile_id} — pending, committed or dead_lettered (with the reason); 404 when unknown. */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) =>
  jsonResponse(200, await useCases.profileStatus(tenant, request.pathParameters.profile_id)),
);
