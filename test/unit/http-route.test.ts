import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { httpRoute } from '../../shared/app/http-route.js';
import { invocation, runtimeDeps } from '../../shared/app/runtime.js';
import { jsonResponse } from '../../shared/platform/lambda-http.js';

/** Built from the default configuration: clients are made but never connect in these tests. */
afterAll(async () => {
  await runtimeDeps().close();
});

function event(headers: Record<string, string> = {}, path = '/v1/services'): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `GET ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: { http: { method: 'GET', path } },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

function captureStderr(run: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    run();
  } finally {
    process.stderr.write = write;
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('httpRoute', () => {
  it('gives an api-key route the tenant of its key', async () => {
    const route = httpRoute({ auth: 'api-key' }, async ({ tenant }) => jsonResponse(200, { tenant }));

    const response = await route(event({ authorization: 'Bearer local-dev-key' }));

    expect([response.statusCode, JSON.parse(response.body ?? '')]).toEqual([200, { tenant: 'default' }]);
  });

  it('answers 401 in the API error shape before the route runs when the key is missing', async () => {
    let ran = false;
    const route = httpRoute({ auth: 'api-key' }, async () => {
      ran = true;
      return jsonResponse(200, {});
    });

    const response = await route(event());

    expect(ran).toBe(false);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body ?? '').error.code).toBe('unauthorized');
  });

  it('leaves authentication to a route that asks for none', async () => {
    const route = httpRoute({ auth: 'none' }, async ({ tenant, authenticate }) =>
      jsonResponse(200, { tenant: tenant ?? null, agent: authenticate('agent') }),
    );

    const response = await route(event({ 'dd-api-key': 'local-dev-key' }));

    expect(JSON.parse(response.body ?? '')).toEqual({ tenant: null, agent: 'default' });
  });

  it("maps a route's unexpected failure to a 500 that does not leak its message", async () => {
    const route = httpRoute({ auth: 'none' }, async () => {
      throw new Error('secret internals');
    });

    let response: Awaited<ReturnType<typeof route>> | undefined;
    const logged = await new Promise<Record<string, unknown>[]>((resolve) => {
      const lines: Record<string, unknown>[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        return true;
      }) as typeof process.stderr.write;
      route(event(), { awsRequestId: 'req-500' })
        .then((r) => {
          response = r;
        })
        .finally(() => {
          process.stderr.write = write;
          resolve(lines);
        });
    });

    expect(response?.statusCode).toBe(500);
    expect(response?.body).not.toContain('secret internals');
    expect(logged.some((line) => line.request_id === 'req-500' && line.level === 'error')).toBe(true);
  });
});

describe('invocation', () => {
  it("binds the Lambda request id to every log line of the invocation's logger", () => {
    const lines = captureStderr(() => invocation('req-123').logger.info('handled'));

    expect(lines).toEqual([expect.objectContaining({ message: 'handled', request_id: 'req-123' })]);
  });
});
