import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /v1/ingest-errors[?service=][&limit=] — the latest dead-lettered profiles, with their reasons. */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) =>
  jsonResponse(200, await useCases.ingestErrors(tenant, request.query)),
);
