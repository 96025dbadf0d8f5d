import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { notFound, unavailable } from '../platform/errors.js';
import type { HttpResponse } from '../platform/lambda-http.js';
import { matchClientRoute } from './client-routes.js';

/**
 * Serves the built web UI (Vite's output, dist/web) from memory through API Gateway.
 *
 * - Files are looked up by exact name in the map built from the output folder, so no request
 *   path ever reaches the file system: `..`, encoded slashes and the like simply find nothing
 *   (and are refused before the lookup anyway).
 * - The client routes of the UI (client-routes.ts) are answered with index.html; any other
 *   unknown path is a JSON 404 like the rest of the API.
 * - Vite names assets by content hash (`/assets/index-<hash>.js`), so they are cached for a year
 *   and marked immutable; index.html must be revalidated (`no-cache` + ETag) so a deploy is seen
 *   at once. https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cache-Control
 * - API Gateway HTTP APIs do not compress responses, so text files are gzipped here (once, on
 *   first use) for clients that accept it, and sent base64 with `isBase64Encoded` as the Lambda
 *   proxy integration requires for binary bodies.
 */
export interface SiteRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
}

export interface StaticSite {
  respond(request: SiteRequest): HttpResponse;
  /** Number of files served (0 when the UI was not built). */
  readonly size: number;
}

const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  webp: 'image/webp',
  woff2: 'font/woff2',
  webmanifest: 'application/manifest+json',
};

const textual = /^(text\/|application\/(json|manifest\+json)|image\/svg\+xml)/;

export function contentTypeOf(name: string): string {
  const extension = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  return contentTypes[extension] ?? 'application/octet-stream';
}

/**
 * The UI calls only its own origin (the API behind the same gateway) and loads no script, style
 * or font from anywhere else; inline scripts are never needed (Vite emits module files).
 * Inline styles set through the CSSOM (d3, uPlot) are not governed by `style-src`.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const immutableCache = 'public, max-age=31536000, immutable';

/** `null` when the path cannot name a file: undecodable, relative, or with `.`/`..`/NUL/backslash. */
export function normaliseSitePath(rawPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return null;
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return null;
  return path;
}

interface Entry {
  body: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
  gzipped?: Buffer | null;
}

function acceptsGzip(headers: Record<string, string | undefined>): boolean {
  const accept = headers['accept-encoding'] ?? '';
  return accept.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    // `gzip;q=0` means "not gzip" (RFC 9110 §12.5.3).
    return !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  // Weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored.
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare);
}

export function createStaticSite(files: ReadonlyMap<string, Uint8Array>): StaticSite {
  const entries = new Map<string, Entry>();
  for (const [name, bytes] of files) {
    const body = Buffer.from(bytes);
    const isHtml = name.endsWith('.html');
    entries.set(name, {
      body,
      contentType: contentTypeOf(name),
      cacheControl: name.startsWith('/assets/') ? immutableCache : isHtml ? 'no-cache' : 'public, max-age=300',
      // Weak: the gzipped and the plain body share it (they are the same resource).
      etag: `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  const index = entries.get('/index.html');

  function answer(entry: Entry, request: SiteRequest): HttpResponse {
    const headers: Record<string, string> = {
      'content-type': entry.contentType,
      'cache-control': entry.cacheControl,
      etag: entry.etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
    };
    if (entry.contentType.startsWith('text/html')) {
      headers['content-security-policy'] = contentSecurityPolicy;
      headers['referrer-policy'] = 'no-referrer';
      headers['x-frame-options'] = 'DENY';
    }
    if (etagMatches(request.headers['if-none-match'], entry.etag)) {
      return { statusCode: 304, headers, body: '' };
    }
    const isText = textual.test(entry.contentType);
    if (isText && entry.gzipped === undefined) {
      const gzipped = gzipSync(entry.body, { level: 9 });
      entry.gzipped = gzipped.length < entry.body.length ? gzipped : null;
    }
    const head = request.method === 'HEAD';
    if (isText && entry.gzipped && acceptsGzip(request.headers)) {
      headers['content-encoding'] = 'gzip';
      return { statusCode: 200, headers, isBase64Encoded: true, body: head ? '' : entry.gzipped.toString('base64') };
    }
    if (isText) return { statusCode: 200, headers, body: head ? '' : entry.body.toString('utf8') };
    return { statusCode: 200, headers, isBase64Encoded: true, body: head ? '' : entry.body.toString('base64') };
  }

  return {
    size: entries.size,
    respond(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw notFound(`no route ${request.method} ${request.path}`);
      }
      if (!index) {
        throw unavailable('the web UI is not built: run `npm run build` (it writes dist/web) and deploy again');
      }
      const path = normaliseSitePath(request.path);
      const file = path === null ? undefined : entries.get(path);
      if (file) return answer(file, request);
      if (path !== null && matchClientRoute(path)) return answer(index, request);
      throw notFound(`no route ${request.method} ${request.path}`);
    },
  };
}
