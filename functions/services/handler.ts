import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';
import { listServices } from '../../shared/query/catalog.js';

/** GET /v1/services[?from=&to=] (default: the last 7 days) */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  const { limits } = deps.config;
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = deps.auth.tenantOf(request.headers);
    return jsonResponse(
      200,
      await listServices(deps.db, tenant, request.query, limits.maxQueryRangeSeconds, limits.maxResultRows),
    );
  });
};
