import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { badRequest, causeOf, httpErrorOf } from './errors.js';
import { stringifyJson } from './json.js';
import type { Logger } from './logger.js';

/**
 * Translation between API Gateway HTTP API events (payload format 2.0) and plain requests.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export interface HttpRequest {
  method: string;
  path: string;
  /** Lower-case names; API Gateway already lower-cases v2 headers, serverless-offline may not. */
  headers: Record<string, string | undefined>;
  query: URLSearchParams;
  pathParameters: Record<string, string | undefined>;
  body: Buffer;
  /** Whether the gateway passed the body as exact bytes (isBase64Encoded), not as decoded text. */
  bodyIsBinary: boolean;
}

export type HttpResponse = APIGatewayProxyStructuredResultV2;

/**
 * Content-Type is a singleton field (RFC 9110 §5.3, §8.3): a request carries one. API Gateway
 * (payload format 2.0) joins repeated headers with commas, so two Content-Type headers reach the
 * function as one value holding two media types, of which the gateway and the route may each read
 * a different one. A comma outside a quoted parameter value can come from nothing else: media
 * types hold none, and a parameter value holding one must be a quoted string (RFC 9110 §5.6.6).
 */
function checkSingleContentType(value: string | undefined): void {
  if (value === undefined) return;
  let quoted = false;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i];
    if (quoted && char === '\\') i += 1;
    else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      throw badRequest(
        `Content-Type ${JSON.stringify(value.slice(0, 128))} holds more than one media type (repeated Content-Type headers are joined with commas): send one Content-Type header`,
      );
    }
  }
}

export function parseHttpEvent(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  checkSingleContentType(headers['content-type']);
  const body =
    event.body === undefined || event.body === null
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    headers,
    // rawQueryString keeps repeated keys (`endpoint=a&endpoint=b`); queryStringParameters joins
    // them with commas, which is ambiguous for endpoint names that contain commas.
    query: new URLSearchParams(event.rawQueryString ?? ''),
    pathParameters: event.pathParameters ?? {},
    body,
    bodyIsBinary: event.isBase64Encoded === true,
  };
}

/** Single-valued query parameters as a record (the last value wins, like most frameworks). */
export function queryRecord(query: URLSearchParams): Record<string, string | undefined> {
  const record: Record<string, string | undefined> = {};
  for (const [key, value] of query) record[key] = value;
  return record;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: stringifyJson(body),
  };
}

export function errorResponse(error: unknown, logger: Logger): HttpResponse {
  const { status, code, message } = httpErrorOf(error);
  if (status >= 500) {
    logger.error('request failed', { status, code, error: (error as Error)?.message, cause: causeOf(error) });
  }
  const headers: Record<string, string> = status === 503 || status === 429 ? { 'retry-after': '5' } : {};
  return jsonResponse(status, { error: { code, message } }, headers);
}

/** Runs a request handler and maps any error to the JSON error shape of the API contract. */
export async function handleHttp(
  event: APIGatewayProxyEventV2,
  logger: Logger,
  run: (request: HttpRequest) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  try {
    return await run(parseHttpEvent(event));
  } catch (error) {
    return errorResponse(error, logger);
  }
}
