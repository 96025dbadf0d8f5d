import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';
import { parseTraceId } from '../../shared/query/sql/selector-params.js';
import { traceView } from '../../shared/query/trace-view.js';

/** GET /v1/traces/{trace_id} */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = deps.auth.tenantOf(request.headers);
    const traceId = parseTraceId(request.pathParameters.trace_id);
    return jsonResponse(200, await traceView(deps.db, tenant, traceId, deps.config.limits.maxResultRows));
  });
};
