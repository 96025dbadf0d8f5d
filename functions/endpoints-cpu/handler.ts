import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse, queryRecord } from '../../shared/platform/lambda-http.js';
import { endpointCpu, parseEndpointCpuQuery } from '../../shared/query/endpoint-cpu.js';

/** GET /v1/endpoints/cpu?service=&from=&to=[&env=&version=] */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = deps.auth.tenantOf(request.headers);
    const query = parseEndpointCpuQuery(tenant, queryRecord(request.query), deps.config.limits.maxQueryRangeSeconds);
    return jsonResponse(200, await endpointCpu(deps.db, query, deps.config.limits.maxResultRows));
  });
};
