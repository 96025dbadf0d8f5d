import { createHash } from 'node:crypto';
import { type CapturedRequest, compressionOf, splitMultipart } from './capture-server.js';

/**
 * What the fixture recorders (record-agent-fixtures.ts, record-runtime-fixtures.ts) write beside a
 * captured request: everything but the body and the per-run `host` header. `where` says where the
 * request went (its path, and the query where the recorder keeps it).
 */
export function requestSidecar(
  request: CapturedRequest,
  recordedBy: string,
  client: string,
  where: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const { host: _host, ...headers } = request.headers;
  return {
    recorded_by: recordedBy,
    client,
    method: request.method,
    ...where,
    headers,
    header_names_as_sent: request.rawHeaderNames.filter((name) => name.toLowerCase() !== 'host'),
    answered_status: request.status,
    bytes: request.body.length,
    sha256: createHash('sha256').update(request.body).digest('hex'),
    ...extra,
  };
}

/** The parts of a multipart request, without their bodies. */
export function describeParts(request: CapturedRequest) {
  return splitMultipart(request.body, String(request.headers['content-type'])).map((part) => ({
    name: part.name,
    filename: part.filename,
    content_type: part.headers['content-type'],
    bytes: part.body.length,
    compression: compressionOf(part.body),
  }));
}

/** The `event` part of a Datadog profile upload, parsed. */
export function eventOf(request: CapturedRequest): Record<string, unknown> | undefined {
  const part = splitMultipart(request.body, String(request.headers['content-type'])).find((p) => p.name === 'event');
  return part ? (JSON.parse(part.body.toString('utf8')) as Record<string, unknown>) : undefined;
}
