import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';
import { parseTimeseriesQuery, timeseries } from '../../shared/query/timeseries.js';

/** GET /v1/endpoints/timeseries?service=&from=&to=&step=[&endpoint=…][&group_by=endpoint|version] */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  const { limits } = deps.config;
  const seriesLimits = {
    maxRangeSeconds: limits.maxQueryRangeSeconds,
    maxPoints: limits.maxTimeseriesPoints,
    maxSeries: limits.maxTimeseriesSeries,
  };
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = deps.auth.tenantOf(request.headers);
    return jsonResponse(
      200,
      await timeseries(deps.db, parseTimeseriesQuery(tenant, request.query, seriesLimits), seriesLimits),
    );
  });
};
