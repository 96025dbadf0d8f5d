import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';
import { flamegraph, parseFlamegraphQuery } from '../../shared/query/flamegraph.js';

/** GET /v1/flamegraph?…[&format=json|collapsed|pprof] */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  const { limits } = deps.config;
  const flamegraphLimits = {
    maxNodes: limits.flamegraphMaxNodes,
    maxStacks: limits.maxStacks,
    maxRangeSeconds: limits.maxQueryRangeSeconds,
  };
  return handleHttp(event, deps.logger, async (request) => {
    const tenant = deps.auth.tenantOf(request.headers);
    const result = await flamegraph(
      deps.db,
      parseFlamegraphQuery(tenant, request.query, flamegraphLimits),
      flamegraphLimits,
    );
    if (result.format === 'json') return jsonResponse(200, result.body);
    if (result.format === 'collapsed') {
      return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: result.body };
    }
    return {
      statusCode: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment; filename="cpu.pprof.gz"',
      },
      isBase64Encoded: true,
      body: result.body.toString('base64'),
    };
  });
};
