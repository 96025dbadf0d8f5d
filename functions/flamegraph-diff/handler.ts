import { httpRoute } from '../../shared/app/http-route.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** GET /v1/flamegraph/diff?a.…&b.…[&normalize=…][&format=json|collapsed|pprof] */
export const handler = httpRoute({ auth: 'api-key' }, async ({ request, tenant, useCases }) => {
  const result = await useCases.flamegraphDiff(tenant, request.query);
  if (result.format === 'json') return jsonResponse(200, result.body);
  if (result.format === 'collapsed') {
    return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: result.body };
  }
  return {
    statusCode: 200,
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': 'attachment; filename="cpu-diff.pprof.gz"',
    },
    isBase64Encoded: true,
    body: result.body.toString('base64'),
  };
});
