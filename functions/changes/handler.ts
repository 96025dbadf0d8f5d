import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /v1/changes?service=&from=&to=[&env=] */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) =>
  jsonResponse(200, await useCases.changes(tenant, request.query)),
);
