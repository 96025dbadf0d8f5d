import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';

/**
 * The web UI through the API gateway (serverless offline): `GET /` and `GET /{proxy+}` serve the
 * built files, client routes get index.html, and every API route still answers as before — the
 * catch-all route never shadows a more specific one.
 */
const api = () => inject('apiUrl');
const auth = () => ({ authorization: `Bearer ${inject('apiKey')}` });
let assetPath: string;

beforeAll(() => {
  const index = join(repoRoot, 'dist', 'web', 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: run npm run build (it builds the UI with Vite)`);
  const found = /src="(\/assets\/[^"]+\.js)"/.exec(readFileSync(index, 'utf8'))?.[1];
  if (!found) throw new Error('dist/web/index.html names no /assets/*.js script');
  assetPath = found;
});

describe('GET / (web UI)', () => {
  it('serves index.html with no-cache, an ETag and a same-origin-only content security policy', async () => {
    const answer = await fetch(`${api()}/`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    expect(answer.headers.get('etag')).toMatch(/^W\/"/);
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await answer.text()).toContain('<div id="app">');
  });

  it('serves the hashed bundle gzipped and cacheable for a year', async () => {
    const answer = await fetch(`${api()}${assetPath}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // fetch decodes gzip itself; the bytes equal the built file.
    expect(Buffer.from(await answer.arrayBuffer())).toEqual(readFileSync(join(repoRoot, 'dist', 'web', assetPath)));
  });

  it('answers 304 to a revalidation with the same ETag', async () => {
    const first = await fetch(`${api()}/`);
    const again = await fetch(`${api()}/`, { headers: { 'if-none-match': first.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
  });

  it('answers the UI routes /traces/<id> and /spans/<id> with index.html, so links open the view', async () => {
    for (const path of ['/traces/0af7651916cd43dd8448eb211c80319c', '/spans/18446744073709551557']) {
      const answer = await fetch(`${api()}${path}`);
      expect({ path, status: answer.status, type: answer.headers.get('content-type') }).toEqual({
        path,
        status: 200,
        type: 'text/html; charset=utf-8',
      });
    }
  });

  it('keeps unknown paths a JSON 404 and never serves a file outside the build', async () => {
    for (const path of ['/v1/nope', '/assets/missing.js', '/%2e%2e/package.json', '/assets/..%2F..%2Fpackage.json']) {
      const answer = await fetch(`${api()}${path}`);
      const body = (await answer.json()) as { error?: { code: string } };
      expect({ path, status: answer.status, code: body.error?.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
  });

  it('sends raw gzip bytes that decode to the bundle when the client does not decode itself', async () => {
    const { request } = await import('node:http');
    const url = new URL(`${api()}${assetPath}`);
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      request(url, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks)));
        response.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    expect(gunzipSync(bytes)).toEqual(readFileSync(join(repoRoot, 'dist', 'web', assetPath)));
  });
});

describe('API routes beside the UI catch-all', () => {
  it('still answers GET /healthz and the query routes as JSON', async () => {
    const health = await fetch(`${api()}/healthz`);
    expect([health.status, health.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    const services = await fetch(`${api()}/v1/services`, { headers: auth() });
    expect(services.status).toBe(200);
    expect(((await services.json()) as { services: unknown[] }).services).toBeInstanceOf(Array);
    // Path-parameter routes too: the trace-view function (400 for a malformed id), not the UI's 404.
    const trace = await fetch(`${api()}/v1/traces/xyz`, { headers: auth() });
    expect([trace.status, ((await trace.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      'bad_request',
    ]);
  });

  it('still answers 401 on query routes without a key, not the UI', async () => {
    const answer = await fetch(`${api()}/v1/endpoints/cpu?service=x&from=0&to=60`);
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('leaves other methods to their routes: POST to a UI path is not the UI', async () => {
    const answer = await fetch(`${api()}/traces/abc`, { method: 'POST', body: 'x' });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type') ?? '').not.toContain('text/html');
  });
});

describe('serverless package', () => {
  it('routes GET / and GET /{proxy+} to the web UI function and ships the built UI in the package', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hotspots-sls-ui-'));
    await promisify(execFile)(
      process.execPath,
      [
        join(repoRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'),
        'package',
        '--stage',
        'prod',
        '--package',
        out,
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
        timeout: 150_000,
      },
    );
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const resources = Object.values(template.Resources);
    const routes = resources.filter((r) => r.Type === 'AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey);
    expect(routes).toEqual(expect.arrayContaining(['GET /', 'GET /{proxy+}', 'GET /v1/services', 'GET /healthz']));
    const handlers = resources.filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Handler);
    expect(handlers).toContain('dist/functions/web-ui/handler.handler');
    // Zip entry names are stored uncompressed (local headers and central directory).
    const zip = readFileSync(join(out, 'hotspots.zip'));
    expect(zip.includes(Buffer.from('dist/web/index.html'))).toBe(true);
    expect(zip.includes(Buffer.from(`dist/web${assetPath}`))).toBe(true);
  }, 180_000);
});
