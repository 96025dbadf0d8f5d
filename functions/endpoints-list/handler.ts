import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';
import { listEndpoints } from '../../shared/query/catalog.js';

/** GET /v1/endpoints?service=[&from=&to=] (default: the last 24 hours) */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  const { limits } = deps.config;
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = deps.auth.tenantOf(request.headers);
    return jsonResponse(
      200,
      await listEndpoints(deps.db, tenant, request.query, limits.maxQueryRangeSeconds, limits.maxResultRows),
    );
  });
};
