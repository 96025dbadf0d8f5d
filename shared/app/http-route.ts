import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { agentTenantOf } from '../agents/agent-auth.js';
import { bearerFromBasic } from '../agents/basic-auth.js';
import { type HttpRequest, type HttpResponse, handleHttp } from '../platform/lambda-http.js';
import type { Logger } from '../platform/logger.js';
import type { Deps } from './deps.js';
import { invocation } from './runtime.js';
import type { UseCases } from './use-cases.js';

/**
 * How a route finds its tenant:
 * - `api-key`: `Authorization: Bearer <key>` (the query API and `/v1/profiles`);
 * - `agent`: also DD-API-KEY, a key in the path (`/k/{key}/…`) or the trusted tenant (agent-auth.ts);
 * - `agent-basic`: `agent`, with HTTP Basic's password read as the key (Pyroscope clients);
 * - `api-key-basic`: `api-key`, or HTTP Basic with the key as password (Grafana's datasources);
 * - `none`: the route authenticates itself, if at all, through `call.authenticate`.
 */
export type RouteAuth = 'api-key' | 'api-key-basic' | 'agent' | 'agent-basic' | 'none';

export interface RouteCall<A extends RouteAuth> {
  request: HttpRequest;
  tenant: A extends 'none' ? undefined : string;
  useCases: UseCases;
  logger: Logger;
  authenticate(auth: Exclude<RouteAuth, 'none'>): string;
}

function tenantOf(auth: Exclude<RouteAuth, 'none'>, deps: Deps, request: HttpRequest): string {
  if (auth === 'api-key') return deps.auth.tenantOf(request.headers);
  if (auth === 'api-key-basic') return deps.auth.tenantOf(bearerFromBasic(request.headers));
  const headers = auth === 'agent-basic' ? bearerFromBasic(request.headers) : request.headers;
  return agentTenantOf(
    deps.auth,
    { trustedTenant: deps.config.agentTrustedTenant },
    headers,
    request.pathParameters.key,
  );
}

/**
 * An API Gateway (HTTP API, payload 2.0) handler from a route function, middy-style: the
 * invocation's dependencies and request-scoped logger, authentication, and every error mapped to
 * the API's JSON error shape (lambda-http.ts).
 */
export function httpRoute<A extends RouteAuth>(
  options: { auth: A },
  route: (call: RouteCall<A>) => Promise<HttpResponse>,
): (event: APIGatewayProxyEventV2, context?: Pick<Context, 'awsRequestId'>) => Promise<HttpResponse> {
  return async (event, context) => {
    const { deps, useCases, logger } = invocation(context?.awsRequestId);
    return handleHttp(event, logger, async (request) => {
      const authenticate = (auth: Exclude<RouteAuth, 'none'>) => tenantOf(auth, deps, request);
      const tenant = (options.auth === 'none' ? undefined : authenticate(options.auth)) as RouteCall<A>['tenant'];
      return route({ request, tenant, useCases, logger, authenticate });
    });
  };
}
