import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HotspotsError } from '../../shared/platform/errors.js';
import type { HttpResponse } from '../../shared/platform/lambda-http.js';
import { matchClientRoute } from '../../shared/web/client-routes.js';
import {
  contentSecurityPolicy,
  createStaticSite,
  immutableCache,
  normaliseSitePath,
  type SiteRequest,
} from '../../shared/web/static-site.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';

const indexHtml = '<!doctype html><html><body><div id="app"></div></body></html>';
const appJs = `console.log(${JSON.stringify('x'.repeat(2000))});`;
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);

const files = new Map<string, Buffer>([
  ['/index.html', Buffer.from(indexHtml)],
  ['/assets/index-abc123.js', Buffer.from(appJs)],
  ['/assets/logo-def456.png', png],
  ['/robots.txt', Buffer.from('User-agent: *\n')],
]);
const site = createStaticSite(files);

const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): HttpResponse =>
  site.respond({ method, path, headers } satisfies SiteRequest);

const bodyOf = (response: HttpResponse): Buffer => {
  const raw = Buffer.from(response.body ?? '', response.isBase64Encoded ? 'base64' : 'utf8');
  return response.headers?.['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
};

describe('static site: files', () => {
  it('serves index.html at / as HTML that is revalidated on every load, with a strict CSP', () => {
    const response = get('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers?.['cache-control']).toBe('no-cache');
    expect(response.headers?.['content-security-policy']).toBe(contentSecurityPolicy);
    expect(response.headers?.['x-content-type-options']).toBe('nosniff');
    expect(bodyOf(response).toString()).toBe(indexHtml);
  });

  it('serves hashed assets with their content type and a one-year immutable cache', () => {
    const response = get('/assets/index-abc123.js');
    expect(response.headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers?.['cache-control']).toBe(immutableCache);
    expect(bodyOf(response).toString()).toBe(appJs);
  });

  it('sends binary files base64-encoded, byte for byte', () => {
    const response = get('/assets/logo-def456.png');
    expect(response.isBase64Encoded).toBe(true);
    expect(response.headers?.['content-type']).toBe('image/png');
    expect(bodyOf(response)).toEqual(png);
  });

  it('gzips text for clients that accept it, and not for those that refuse it with q=0', () => {
    const gzipped = get('/assets/index-abc123.js', { 'accept-encoding': 'br, gzip;q=0.8' });
    expect(gzipped.headers?.['content-encoding']).toBe('gzip');
    expect(gzipped.isBase64Encoded).toBe(true);
    expect(bodyOf(gzipped).toString()).toBe(appJs);
    expect(gzipped.headers?.vary).toBe('accept-encoding');
    const refused = get('/assets/index-abc123.js', { 'accept-encoding': 'gzip;q=0' });
    expect(refused.headers?.['content-encoding']).toBeUndefined();
    expect(refused.body).toBe(appJs);
  });

  it('answers 304 without a body when the ETag still matches', () => {
    const first = get('/assets/index-abc123.js');
    const etag = String(first.headers?.etag ?? '');
    expect(etag).toMatch(/^W\/"/);
    const again = get('/assets/index-abc123.js', { 'if-none-match': etag });
    expect([again.statusCode, again.body]).toEqual([304, '']);
    expect(get('/assets/index-abc123.js', { 'if-none-match': 'W/"other"' }).statusCode).toBe(200);
  });

  it('answers HEAD with the headers and no body', () => {
    const response = get('/robots.txt', {}, 'HEAD');
    expect([response.statusCode, response.body, response.headers?.['content-type']]).toEqual([
      200,
      '',
      'text/plain; charset=utf-8',
    ]);
  });
});

describe('static site: routes', () => {
  it('answers the UI client routes with index.html, so links and reloads open the view', () => {
    for (const path of [
      '/traces/0123456789abcdef0123456789abcdef',
      '/spans/18446744073709551557',
      '/spans/00ff00ff00ff00ff/',
    ]) {
      const response = get(path);
      expect({ path, status: response.statusCode, body: bodyOf(response).toString() }).toEqual({
        path,
        status: 200,
        body: indexHtml,
      });
    }
  });

  it('answers other unknown paths with a JSON 404, not the UI (API clients see an API error)', () => {
    for (const path of ['/v1/nope', '/assets/missing.js', '/traces', '/traces/a/b', '/spans/has space']) {
      expect({ path, code: expectHotspotsError(() => get(path)).code }).toEqual({ path, code: 'not_found' });
    }
  });

  it('refuses methods other than GET and HEAD', () => {
    expectHotspotsError(() => get('/', {}, 'POST'), { code: 'not_found' });
  });

  it('says how to build the UI when the build output is missing', () => {
    expectHotspotsError(() => createStaticSite(new Map()).respond({ method: 'GET', path: '/', headers: {} }), {
      code: 'unavailable',
      message: /npm run build/,
    });
  });
});

describe('static site: path traversal', () => {
  it('refuses dot segments, backslashes, NUL and undecodable paths before any lookup', () => {
    for (const path of [
      '/../package.json',
      '/assets/../index.html',
      '/assets/..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/.%2E/index.html',
      '/assets\\..\\index.html',
      '/index.html%00.js',
      '/%E0%A4%A',
      'index.html',
    ]) {
      expect({ path, normalised: normaliseSitePath(path) }).toEqual({ path, normalised: null });
      expect({ path, code: expectHotspotsError(() => get(path)).code }).toEqual({ path, code: 'not_found' });
    }
  });

  it('never answers a path with a dot-dot segment with anything but a 404', () => {
    const segment = fc.stringMatching(/^[a-z0-9.%]{0,6}$/);
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 4 }), fc.array(segment, { maxLength: 4 }), (before, after) => {
        const path = `/${[...before, '..', ...after].join('/')}`;
        expectHotspotsError(() => get(path), { status: 404 });
      }),
      { numRuns: 300 },
    );
  });

  it('serves exactly the files it was given and the client routes, for any path', () => {
    fc.assert(
      fc.property(fc.webPath(), (path) => {
        let response: HttpResponse | undefined;
        try {
          response = get(path);
        } catch (error) {
          expect((error as HotspotsError).code).toBe('not_found');
          return;
        }
        const decoded = normaliseSitePath(path) ?? '';
        expect(files.has(decoded) || matchClientRoute(decoded) !== undefined).toBe(true);
        expect(response.statusCode).toBe(200);
      }),
      { numRuns: 200 },
    );
  });
});
