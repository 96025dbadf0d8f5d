import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /v1/traces/{trace_id}[?measure=] */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) =>
  jsonResponse(200, await useCases.traceView(tenant, request.pathParameters.trace_id, request.query)),
);
