import { httpRoute } from '../../shared/app/http-route.js';
import { connectErrorResponse } from '../../shared/platform/connect.js';

/**
 * POST /querier.v1.QuerierService/{method} — Pyroscope's query API (Connect unary, protobuf or
 * JSON) for Grafana. Errors, authentication's included, answer in Connect's JSON error shape.
 */
export const handler = httpRoute({ auth: 'none' }, async ({ request, useCases, logger, authenticate }) => {
  try {
    const tenant = authenticate('api-key-basic');
    return await useCases.pyroscopeQuerier(tenant, request.pathParameters.method ?? '', request);
  } catch (error) {
    return connectErrorResponse(error, logger);
  }
});
