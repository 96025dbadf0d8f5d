import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bearerFromBasic } from '../../shared/agents/basic-auth.js';
import {
  type PyroscopeRequest,
  parsePyroscopeName,
  parsePyroscopeRequest,
  parsePyroscopeTime,
} from '../../shared/agents/pyroscope.js';
import { expectHotspotsError, expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';
import { buildMultipart } from '../support/multipart-builder.js';
import { buildCpuProfile } from '../support/pprof-builder.js';

const limits = { maxParts: 8, maxPartBytes: 1024 * 1024, maxTags: 30, maxDecompressedBytes: 64 * 1024 * 1024 };
const profile = gzipSync(buildCpuProfile({ samples: [{ stack: ['main.main'], cpuNs: 10_000_000n }] }));

describe('parsePyroscopeName', () => {
  it('reads the application name and its labels', () => {
    expect(parsePyroscopeName('checkout{env=prod, region = eu-west-1,__session_id__=abc}', 30)).toEqual({
      app: 'checkout',
      labels: { env: 'prod', region: 'eu-west-1', __session_id__: 'abc' },
    });
  });

  it('reads a name without labels, and an empty label set', () => {
    expect([parsePyroscopeName('my-app/api.v2', 30), parsePyroscopeName('app{}', 30)]).toEqual([
      { app: 'my-app/api.v2', labels: {} },
      { app: 'app', labels: {} },
    ]);
  });

  it('reads the label set pyroscope-go builds (dotted OpenTelemetry keys)', () => {
    const name =
      'ride-sharing-app{__session_id__=5fd1a1b2c3d4e5f6,otel.scope.name=com.grafana.pyroscope/go,process.runtime.name=go,region=us-east}';

    expect(parsePyroscopeName(name, 30).labels['otel.scope.name']).toBe('com.grafana.pyroscope/go');
  });

  it.each([
    ['', 'required'],
    ['{env=prod}', 'application name'],
    ['app name{}', 'application name'],
    ['app{env=prod', 'closing'],
    ['app{env=prod}x', 'after the closing'],
    ['app{env}', 'key=value'],
    ['app{bad-key=1}', 'label name'],
  ])('refuses the name %j with 400 (%s)', (name, message) => {
    expectHotspotsError(() => parsePyroscopeName(name, 30), {
      status: 400,
      message: expect.stringContaining(message),
    });
  });

  it('refuses more labels than the limit with 400', () => {
    expectHotspotsError(() => parsePyroscopeName('app{a=1,b=2,c=3}', 2), { status: 400 });
  });
});

describe('parsePyroscopeTime', () => {
  it.each([
    ['1795514400', 1_795_514_400],
    ['1795514400500', 1_795_514_400.5],
    ['1795514400500000', 1_795_514_400.5],
    ['1795514400500000000', 1_795_514_400.5],
    ['2026-11-24T10:00:00Z', 1_795_514_400],
  ])('reads %s as %s seconds (unit from the digit count, like Pyroscope)', (text, seconds) => {
    expect(parsePyroscopeTime(text, 'from')).toBe(seconds);
  });

  it.each([
    ['ns', '9999999999000000000'],
    ['µs', '9999999999000000'],
    ['ms', '9999999999000'],
    ['s', '4294967296'],
  ])('refuses a time in %s past 2106 (beyond ClickHouse DateTime) with 400', (_unit, text) => {
    expectHotspotsError(() => parsePyroscopeTime(text, 'from'), {
      status: 400,
      message: expect.stringContaining('range ClickHouse can store'),
    });
  });

  it('refuses relative times with 400', () => {
    expectHotspotsError(() => parsePyroscopeTime('now-1h', 'from'), { status: 400 });
  });
});

function rawRequest(query: Record<string, string>, overrides: Partial<PyroscopeRequest> = {}): PyroscopeRequest {
  return {
    tenant: 'acme',
    query,
    contentType: 'application/octet-stream',
    body: profile,
    bodyIsBinary: true,
    ...overrides,
  };
}

function multipartRequest(
  parts: Parameters<typeof buildMultipart>[0],
  query: Record<string, string>,
): PyroscopeRequest {
  const body = buildMultipart(parts);
  return rawRequest(query, { contentType: body.contentType, body: body.body });
}

const parse = (request: PyroscopeRequest) => parsePyroscopeRequest(request, limits, 1024 * 1024);

describe('parsePyroscopeRequest', () => {
  it('takes a raw pprof with format=pprof; service, env and version from the name', async () => {
    const upload = await parse(
      rawRequest({
        name: 'checkout{env=staging,version=2.0.1,pod=a}',
        from: '1795514400',
        until: '1795514410',
        format: 'pprof',
      }),
    );

    expect({
      service: upload.service,
      env: upload.env,
      version: upload.version,
      tags: upload.tags,
      window: [upload.start, upload.end],
      attachments: upload.attachments.map((a) => [a.name, a.kind, a.encoding]),
    }).toEqual({
      service: 'checkout',
      env: 'staging',
      version: '2.0.1',
      tags: { env: 'staging', version: '2.0.1', pod: 'a' },
      window: [1_795_514_400, 1_795_514_410],
      attachments: [['profile.pprof', 'pprof', 'gzip']],
    });
  });

  it('clamps an until before from to from, as pyroscope-go sends on its shutdown flush', async () => {
    const upload = await parse(rawRequest({ name: 'app', format: 'pprof', from: '1795514410', until: '1795514400' }));

    expect([upload.start, upload.end]).toEqual([1_795_514_410, 1_795_514_410]);
  });

  it('lets a service_name label name the service, as Pyroscope does', async () => {
    const upload = await parse(rawRequest({ name: 'app{service_name=billing}', format: 'pprof' }));

    expect(upload.service).toBe('billing');
  });

  it('takes the multipart body pyroscope-go sends (no format parameter), keeping sample_type_config raw', async () => {
    const upload = await parse(
      multipartRequest(
        [
          { name: 'profile', filename: 'profile.pprof', body: profile },
          { name: 'sample_type_config', filename: 'sample_type_config.json', body: '{"cpu":{"units":"nanoseconds"}}' },
        ],
        { name: 'app{}', from: '1795514400000000000', until: '1795514410000000000', spyName: 'gospy' },
      ),
    );

    expect([upload.attachments.map((a) => [a.name, a.kind]), upload.start]).toEqual([
      [
        ['profile.pprof', 'pprof'],
        ['sample_type_config.json', 'raw'],
      ],
      1_795_514_400,
    ]);
  });

  it.each([
    ['format=jfr', rawRequest({ name: 'app', format: 'jfr' }), 415],
    ['a raw body without format (Pyroscope reads it as text lines)', rawRequest({ name: 'app' }), 415],
    [
      'a raw body passed as text by the gateway',
      rawRequest({ name: 'app', format: 'pprof' }, { bodyIsBinary: false }),
      415,
    ],
    ['an empty body', rawRequest({ name: 'app', format: 'pprof' }, { body: Buffer.alloc(0) }), 400],
    ['bytes that are no pprof', rawRequest({ name: 'app', format: 'pprof' }, { body: Buffer.from('<html>') }), 400],
    [
      'a gzip body whose trailer declares more than the decompressed limit',
      rawRequest({ name: 'app', format: 'pprof' }, { body: gzipSync(Buffer.alloc(80 * 1024 * 1024)) }),
      413,
    ],
    ['no name', rawRequest({ format: 'pprof' }), 400],
  ])('refuses %s', async (_what, request, status) => {
    await expectHotspotsErrorAsync(() => parse(request), { status });
  });

  it('refuses a body above the body limit with 413', async () => {
    await expectHotspotsErrorAsync(
      () => parsePyroscopeRequest(rawRequest({ name: 'app', format: 'pprof' }), limits, 16),
      { status: 413 },
    );
  });

  it.each([
    ['no profile part', [{ name: 'sample_type_config', filename: 'x.json', body: '{}' }], 'no profile part'],
    [
      'an obsolete prev_profile part',
      [
        { name: 'profile', filename: 'profile.pprof', body: profile },
        { name: 'prev_profile', filename: 'profile.pprof', body: profile },
      ],
      'obsolete',
    ],
    [
      'a sample_type_config that is not JSON',
      [
        { name: 'profile', filename: 'profile.pprof', body: profile },
        { name: 'sample_type_config', filename: 'x.json', body: '{units' },
      ],
      'sample_type_config',
    ],
  ])('refuses a multipart body with %s with 400', async (_what, parts, message) => {
    await expectHotspotsErrorAsync(() => parse(multipartRequest(parts, { name: 'app' })), {
      status: 400,
      message: expect.stringContaining(message),
    });
  });
});

describe('bearerFromBasic', () => {
  it('reads a Basic password as the API key', () => {
    const basic = `Basic ${Buffer.from('123456:secret-key').toString('base64')}`;

    expect(bearerFromBasic({ authorization: basic }).authorization).toBe('Bearer secret-key');
  });

  it('leaves Bearer and DD-API-KEY headers alone', () => {
    const headers = { authorization: 'Bearer k', 'dd-api-key': 'j' };

    expect(bearerFromBasic(headers)).toBe(headers);
  });
});
