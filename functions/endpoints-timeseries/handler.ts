import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /v1/endpoints/timeseries?service=&from=&to=&step=[&endpoint=…][&group_by=endpoint|version] */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) =>
  jsonResponse(200, await useCases.timeseries(tenant, request.query)),
);
