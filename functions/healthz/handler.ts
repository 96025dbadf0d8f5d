import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /healthz — 200 only when Kafka, S3 and ClickHouse all answer. */
export const handler = httpRoute({ auth: 'none' }, async ({ useCases }) => {
  const report = await useCases.checkHealth();
  return jsonResponse(report.ok ? 200 : 503, report);
});
