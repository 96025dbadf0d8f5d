/**
 * A stand-in agent for tests and for recording fixtures: a plain node:http server that keeps every
 * request it receives (method, path with query, headers, raw body bytes) and answers the way the
 * receiving end of each protocol does, so real, unmodified clients behave exactly as they would
 * against a Datadog agent, a Pyroscope server or an OpenTelemetry collector.
 *
 * Answers (any path prefix is ignored, since clients keep the one in their configured URL):
 * - `GET …/info` → the "safe" agent answer of AGENT-FORMATS.md: it lists `/v0.4/traces`,
 *   `/profiling/v1/input` and `/telemetry/proxy/` and sets `client_drop_p0s: false`, so tracers
 *   send every trace, compute no stats, and use the v0.4 protocol (no `/v1.0/traces`).
 * - `PUT|POST …/v0.4/traces`, `…/v0.5/traces` → 200 `{"rate_by_service":{"service:,env:":1}}`.
 * - `POST …/profiling/v1/input` → 202; `…/telemetry/proxy/…` → 202.
 * - `POST …/ingest` (Pyroscope) → 200 with an empty body, as Pyroscope's ingest handler does.
 * - `POST …/v1/traces` (OTLP/HTTP) → 200 with an empty `ExportTraceServiceResponse` in the
 *   request's encoding (zero bytes of protobuf, or `{}`).
 * - anything else → 404, recorded all the same.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface CapturedRequest {
  method: string;
  /** Path and query string exactly as received. */
  url: string;
  /** Path without query string. */
  path: string;
  /** Header names lower-cased by node; repeated headers joined the way node does. */
  headers: IncomingHttpHeaders;
  /** Header names as the client spelled them, in order (from rawHeaders). */
  rawHeaderNames: string[];
  body: Buffer;
  receivedAt: Date;
  /** The status this server answered with. */
  status: number;
}

export interface CaptureServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  requests: CapturedRequest[];
  /** Waits until `count` requests satisfy `match`; fails naming `what` and what did arrive. */
  waitFor(
    what: string,
    match: (request: CapturedRequest) => boolean,
    options?: { count?: number; timeoutMs?: number },
  ): Promise<CapturedRequest[]>;
  close(): Promise<void>;
}

export const agentInfo = {
  endpoints: ['/v0.4/traces', '/profiling/v1/input', '/telemetry/proxy/'],
  client_drop_p0s: false,
  config: {},
};

export const tracesAnswer = { rate_by_service: { 'service:,env:': 1 } };

interface Answer {
  status: number;
  contentType?: string;
  body?: string | Buffer;
}

/** What the receiving end of each protocol answers; matched on the path's tail. */
export function answerFor(method: string, path: string, contentType: string | undefined): Answer {
  const json = (status: number, value: unknown): Answer => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify(value),
  });
  if (method === 'GET' && path.endsWith('/info')) return json(200, agentInfo);
  if ((method === 'PUT' || method === 'POST') && /\/v0\.[45]\/traces$/.test(path)) return json(200, tracesAnswer);
  if (method === 'POST' && path.endsWith('/profiling/v1/input')) return json(202, {});
  if (method === 'POST' && path.includes('/telemetry/proxy/')) return json(202, {});
  if (method === 'POST' && path.endsWith('/ingest')) return { status: 200 };
  if (method === 'POST' && path.endsWith('/v1/traces')) {
    // An empty ExportTraceServiceResponse: no fields set encodes as zero protobuf bytes.
    return contentType?.startsWith('application/json')
      ? json(200, {})
      : { status: 200, contentType: 'application/x-protobuf', body: Buffer.alloc(0) };
  }
  return json(404, { error: { code: 'not_found', message: `${method} ${path} is not an agent route` } });
}

export interface MultipartPart {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  name: string | undefined;
  filename: string | undefined;
  body: Buffer;
}

/**
 * Splits a multipart/form-data body (RFC 7578) into its parts, bytes untouched. A test helper for
 * looking inside recorded uploads, not a general parser: no nested multiparts, no transfer
 * encodings (Go's mime/multipart, which both SDKs use, writes neither).
 */
export function splitMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const token = boundary?.[1] ?? boundary?.[2];
  if (!token) throw new Error(`no boundary in content type ${JSON.stringify(contentType)}`);
  const delimiter = Buffer.from(`--${token}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    if (next < 0) throw new Error('multipart body ends without a closing delimiter');
    const part = body.subarray(start + 2, next);
    const split = part.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, split).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const disposition = headers['content-disposition'] ?? '';
    parts.push({
      headers,
      name: /\bname="([^"]*)"/.exec(disposition)?.[1],
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1],
      body: part.subarray(split + 4),
    });
    at = next + 2;
  }
  return parts;
}

/** gzip, zstd or none, by magic bytes (the sniffing the ingest routes do). */
export function compressionOf(bytes: Uint8Array): 'gzip' | 'zstd' | 'none' {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return 'zstd';
  return 'none';
}

function headerNames(raw: string[]): string[] {
  return raw.filter((_, index) => index % 2 === 0);
}

export async function startCaptureServer(options: { host?: string; port?: number } = {}): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const path = url.split('?')[0] ?? url;
      const method = req.method ?? 'GET';
      const answer = answerFor(method, path, req.headers['content-type']);
      requests.push({
        method,
        url,
        path,
        headers: req.headers,
        rawHeaderNames: headerNames(req.rawHeaders),
        body: Buffer.concat(chunks),
        receivedAt: new Date(),
        status: answer.status,
      });
      res.statusCode = answer.status;
      if (answer.contentType) res.setHeader('content-type', answer.contentType);
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    requests,
    async waitFor(what, match, { count = 1, timeoutMs = 60_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.filter(match);
        if (found.length >= count) return found;
        if (Date.now() > deadline) {
          const seen = requests.map((r) => `${r.method} ${r.path}`).join(', ') || 'nothing';
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} × ${what}; received: ${seen}`);
        }
        await delay(100);
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
