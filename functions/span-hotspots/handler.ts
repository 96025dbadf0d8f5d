import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';
import { spanHotspots } from '../../shared/query/span-hotspots.js';
import { parseSpanIdParam } from '../../shared/query/sql/selector-params.js';

/** GET /v1/spans/{span_id}/hotspots */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = deps.auth.tenantOf(request.headers);
    const spanId = parseSpanIdParam(request.pathParameters.span_id, 'span_id');
    const { limits } = deps.config;
    return jsonResponse(
      200,
      await spanHotspots(deps.db, tenant, spanId, { maxStacks: limits.maxStacks, topFunctions: limits.topFunctions }),
    );
  });
};
