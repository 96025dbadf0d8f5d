import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /v1/spans/{span_id}/hotspots[?measure=] */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) =>
  jsonResponse(200, await useCases.spanHotspots(tenant, request.pathParameters.span_id, request.query)),
);
