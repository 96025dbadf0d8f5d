import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { checkHealth } from '../../shared/app/health.js';
import { runtimeDeps } from '../../shared/app/runtime.js';
import { handleHttp, jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /healthz — 200 only when Kafka, S3 and ClickHouse all answer. */
export const handler = async (event: APIGatewayProxyEventV2) => {
  const deps = runtimeDeps();
  return handleHttp(event, deps.logger, async () => {
    const report = await checkHealth(deps);
    return jsonResponse(report.ok ? 200 : 503, report);
  });
};
