import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /v1/endpoints/requests?service=&endpoint=&from=&to=[&measure=][&limit=][&step=] */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) =>
  jsonResponse(200, await useCases.endpointRequests(tenant, request.query)),
);
