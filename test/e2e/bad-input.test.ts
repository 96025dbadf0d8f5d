import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gzipSync, constants as zlibConstants, zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { type DeadLetterWatch, watchDeadLetters } from '../chaos/support/dead-letter-watch.js';
import { testMaxBodyBytes } from '../support/global-setup.js';
import { buildCpuProfile, expectedTotalsByLabel, type ProfileSpec } from '../support/pprof-builder.js';
import { getJson, testDeps, uniqueService, waitForCommittedProfiles, waitUntil } from '../support/services.js';

/**
 * Bad input through HTTP and through the real consumer: every case of test/fixtures/bad (see its
 * README) gets a clear 4xx with a reason at the edge, or — when only the consumer can tell — a
 * dead letter with the reason (S3 and the dead-letter topic), while the good profiles uploaded
 * between them are all counted exactly. Generated cases (fast-check) cover random bodies on every
 * ingest route and hostile text in every query parameter: never a 5xx.
 */
type Expect =
  | { status: number; code: string; message: string }
  | { status: number; dead_letter: { code: string; message: string } }
  | { status: number; committed: true; total_cpu_ns: string }
  | { status: number; body_contains: string }
  | { status: number; connect_code: string; message: string };

interface Case {
  file: string;
  what: string;
  route: string;
  content_type: string;
  query?: Record<string, string>;
  expect: Expect;
}

interface Answer {
  status: number;
  body: { profile_id?: string; error?: { code: string; message: string }; code?: string; message?: string } & Record<
    string,
    unknown
  >;
  text: string;
  /** The OTLP profiles intake names its upload in a header (its body is an OTLP answer). */
  uploadId?: string | undefined;
}

const tenant = 'test-a';
const key = 'hotspots-test-key-a';
const corpusDir = join(repoRoot, 'test', 'fixtures', 'bad');
const cases = JSON.parse(readFileSync(join(corpusDir, 'cases.json'), 'utf8')) as Case[];

let deps: Deps;
let watch: DeadLetterWatch;

async function post(path: string, body: Uint8Array, contentType: string): Promise<Answer> {
  const answer = await fetch(`${inject('apiUrl')}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body,
  });
  const text = await answer.text();
  let parsed: Answer['body'] = {};
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    // Protobuf and plain answers are checked by status only.
  }
  return {
    status: answer.status,
    body: parsed,
    text,
    uploadId: answer.headers.get('x-hotspots-upload-id') ?? undefined,
  };
}

/** The profile id of an answer: its own, or the first profile of the OTLP upload it names. */
async function profileIdOf(answer: Answer): Promise<string> {
  if (answer.body.profile_id !== undefined || answer.uploadId === undefined) return answer.body.profile_id ?? '';
  const { body } = await getJson<{ profiles: { profile_id: string }[] }>(`/v1/profiles/${answer.uploadId}`);
  return body.profiles[0]?.profile_id ?? '';
}

const window = () => {
  const now = Math.floor(Date.now() / 1000);
  return { from: String(now - 3600), to: String(now + 3600) };
};

async function totalCpu(service: string): Promise<bigint> {
  const { status, body } = await getJson<{ total_cpu_ns: number | string }>(
    `/v1/endpoints/cpu?${new URLSearchParams({ service, ...window() })}`,
  );
  expect(status).toBe(200);
  return BigInt(body.total_cpu_ns);
}

const good: ProfileSpec = {
  startNs: 0n,
  samples: [
    { stack: ['main.ok', 'main.main'], cpuNs: 70_000_000n, labels: { 'trace endpoint': 'GET /ok' } },
    { stack: ['main.idle'], cpuNs: 30_000_000n },
  ],
};

beforeAll(async () => {
  deps = testDeps();
  watch = await watchDeadLetters(deps.config.kafka.brokers, deps.config.kafka.deadLetterTopic);
});
afterAll(async () => {
  await watch?.stop();
  await deps?.close();
});

describe('the bad-input corpus (test/fixtures/bad), with good profiles in between', () => {
  const goodService = uniqueService('between-bad');
  const goodIds: string[] = [];
  const answers = new Map<string, { answer: Answer; service: string }>();

  beforeAll(async () => {
    // Interleaved, so that poison records share consumer batches with good ones.
    for (const [index, c] of cases.entries()) {
      const service = uniqueService(`bad-${index}`);
      const query = new URLSearchParams(c.route === '/v1/profiles' ? { service, ...c.query } : c.query);
      const path = `${c.route}${query.size > 0 ? `?${query}` : ''}`;
      answers.set(c.file, { answer: await post(path, readFileSync(join(corpusDir, c.file)), c.content_type), service });
      const ok = await post(`/v1/profiles?service=${goodService}`, buildCpuProfile(good), 'application/octet-stream');
      expect(ok.status).toBe(202);
      goodIds.push(ok.body.profile_id ?? '');
    }
  });

  it.each(cases.map((c) => [c.file, c] as const))('%s gets its expected outcome', async (file, c) => {
    const { answer, service } = answers.get(file) ?? expect.unreachable();
    const want = c.expect;

    expect(answer.status).toBe(want.status);
    if ('code' in want) {
      expect(answer.body.error?.code).toBe(want.code);
      expect(answer.body.error?.message).toContain(want.message);
    } else if ('dead_letter' in want) {
      const letter = await watch.waitFor(await profileIdOf(answer));
      expect([letter.reason.code, letter.tenant, letter.source]).toEqual([want.dead_letter.code, tenant, 'profiles']);
      expect(letter.reason.message).toContain(want.dead_letter.message);
      const stored = JSON.parse(Buffer.from(await deps.rawStore.get(letter.s3_key)).toString('utf8'));
      expect(stored.reason).toEqual(letter.reason);
    } else if ('connect_code' in want) {
      expect(answer.body.code).toBe(want.connect_code);
      expect(answer.body.message).toContain(want.message);
    } else if ('body_contains' in want) {
      expect(answer.text).toContain(want.body_contains);
    } else {
      await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id ?? '']);
      expect(await totalCpu(service)).toBe(BigInt(want.total_cpu_ns));
    }
  });

  it('loses none of the good profiles uploaded between the bad ones, and counts each once', async () => {
    await waitForCommittedProfiles(deps, tenant, goodIds);

    const expected = [...expectedTotalsByLabel(good, 'trace endpoint').values()].reduce((a, b) => a + b, 0n);
    expect(await totalCpu(goodService)).toBe(expected * BigInt(goodIds.length));
  });

  it('keeps the invalid UTF-8 endpoint as replacement characters in the answer', async () => {
    const { service } = answers.get('invalid-utf8.pprof') ?? expect.unreachable();
    await waitUntil('the invalid UTF-8 profile to be queryable', async () =>
      (await totalCpu(service)) > 0n ? true : undefined,
    );

    const { body } = await getJson<{ endpoints: { endpoint: string | null }[] }>(
      `/v1/endpoints/cpu?${new URLSearchParams({ service, ...window() })}`,
    );
    expect(body.endpoints.map((e) => e.endpoint)).toEqual(['GET /\ufffd\ufffd']);
  });
});

describe('decompression bombs and oversized bodies', () => {
  it.each([
    ['/v1/profiles?service=gzip-bomb', 'application/octet-stream', (bomb: Uint8Array) => bomb],
    ['/ingest?name=gzip-bomb&format=pprof', 'application/octet-stream', (bomb: Uint8Array) => bomb],
    [
      '/profiling/v1/input',
      'multipart/form-data; boundary=gzip-bomb',
      (bomb: Uint8Array) =>
        Buffer.concat([
          Buffer.from('--gzip-bomb\r\nContent-Disposition: form-data; name="cpu.pprof"; filename="cpu.pprof"\r\n\r\n'),
          bomb,
          Buffer.from(
            '\r\n--gzip-bomb\r\nContent-Disposition: form-data; name="event"; filename="event.json"\r\n\r\n' +
              '{"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:01:00Z","attachments":["cpu.pprof"],"tags_profiler":"service:gzip-bomb"}' +
              '\r\n--gzip-bomb--\r\n',
          ),
        ]),
    ],
  ])(
    'refuses a gzip bomb (80 MiB of zeros in 80 KiB) on %s with 413 from its trailer alone',
    async (path, type, wrap) => {
      const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024), { level: 9 });

      const answer = await post(path, wrap(bomb), type);

      expect([answer.status, answer.body.error?.code, answer.body.error?.message]).toEqual([
        413,
        'payload_too_large',
        expect.stringContaining('exceeds the limit'),
      ]);
    },
  );

  it.each([
    ['/v1/profiles?service=zstd-bomb', 'application/octet-stream'],
    ['/ingest?name=zstd-bomb&format=pprof', 'application/octet-stream'],
  ])(
    'refuses a zstd frame declaring 80 MiB (Frame_Content_Size) on %s with 413 from its header alone',
    async (path, type) => {
      const bomb = zstdCompressSync(Buffer.alloc(80 * 1024 * 1024));

      const answer = await post(path, bomb, type);

      expect([answer.status, answer.body.error?.code, answer.body.error?.message]).toEqual([
        413,
        'payload_too_large',
        expect.stringContaining('exceeds the limit'),
      ]);
    },
  );

  it('dead-letters a zstd bomb that declares no size (80 MiB in compressed blocks) without committing anything', async () => {
    const service = uniqueService('zstd-bomb');
    // A repeating pattern, not one byte: compressed blocks, whose headers do not say what they inflate to.
    const pattern = Buffer.alloc(80 * 1024 * 1024);
    for (let at = 0; at < pattern.length; at++) pattern[at] = at % 251;
    const bomb = zstdCompressSync(pattern, { params: { [zlibConstants.ZSTD_c_contentSizeFlag]: 0 } });

    const answer = await post(`/v1/profiles?service=${service}`, bomb, 'application/octet-stream');
    const letter = await watch.waitFor(answer.body.profile_id ?? '');

    expect([answer.status, letter.reason.code]).toEqual([202, 'payload_too_large']);
    expect(letter.reason.message).toContain('exceeds the limit');
    const rows = await deps.db.query<{ n: string }>(
      sql`SELECT count() AS n FROM samples WHERE tenant = ${tenant} AND service = ${service}`,
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('dead-letters a gzip bomb whose trailer lies (80 MiB declared as 1 KiB) without committing anything', async () => {
    const service = uniqueService('gzip-bomb');
    const bomb = Buffer.from(gzipSync(Buffer.alloc(80 * 1024 * 1024), { level: 9 }));
    bomb.writeUInt32LE(1024, bomb.length - 4);

    const answer = await post(`/v1/profiles?service=${service}`, bomb, 'application/octet-stream');
    const letter = await watch.waitFor(answer.body.profile_id ?? '');

    expect([answer.status, letter.reason.code]).toEqual([202, 'payload_too_large']);
    expect(letter.reason.message).toContain('exceeds the limit');
    const rows = await deps.db.query<{ n: string }>(
      sql`SELECT count() AS n FROM samples WHERE tenant = ${tenant} AND service = ${service}`,
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('dead-letters a flood of empty records (60 MiB in ~60 KiB of gzip) at the record limit', async () => {
    const service = uniqueService('record-flood');
    // One sample type, then empty Location records (tag 0x22, length 0): 31 M of them.
    const flood = Buffer.alloc(60 * 1024 * 1024);
    flood.set([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02]);
    for (let at = 6; at < flood.length; at += 2) flood[at] = 0x22;

    const answer = await post(`/v1/profiles?service=${service}`, gzipSync(flood), 'application/octet-stream');
    const letter = await watch.waitFor(answer.body.profile_id ?? '');

    expect([answer.status, letter.reason.code]).toEqual([202, 'unprocessable']);
    expect(letter.reason.message).toContain('HOTSPOTS_MAX_PROFILE_RECORDS');
  });

  it.each([
    ['/v1/profiles?service=big', 'application/octet-stream'],
    ['/profiling/v1/input', 'multipart/form-data; boundary=x'],
    ['/ingest?name=big&format=pprof', 'application/octet-stream'],
    ['/v0.4/traces', 'application/msgpack'],
    ['/v0.5/traces', 'application/msgpack'],
    ['/v1/traces', 'application/x-protobuf'],
    ['/v1development/profiles', 'application/x-protobuf'],
  ])('refuses a body one byte above the limit on %s with 413', async (path, contentType) => {
    const answer = await post(path, new Uint8Array(testMaxBodyBytes + 1), contentType);

    expect([answer.status, answer.body.error?.code]).toEqual([413, 'payload_too_large']);
  });
});

/** A POST whose header lines go on the wire as given, repeats included (fetch would join them). */
function postRawHeaders(path: string, headerLines: [string, string][], body: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, inject('apiUrl'));
    // Given as raw lines, headers get no Host added (which Node's server requires) nor a length.
    const lines = [['Host', url.host], ...headerLines, ['Content-Length', String(body.length)]];
    const outgoing = httpRequest(url, { method: 'POST', headers: lines.flat() }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Answer['body'] = {};
        try {
          body = JSON.parse(text) as Answer['body'];
        } catch {
          // Checked by status only, like post().
        }
        resolve({ status: incoming.statusCode ?? 0, body, text });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('repeated Content-Type headers', () => {
  const profile = gzipSync(buildCpuProfile(good));

  it.each([
    ['a text type first', ['application/json', 'application/octet-stream']],
    ['a binary type first', ['application/octet-stream', 'text/plain']],
  ])('refuses two Content-Type headers (%s) on /v1/profiles with 400, naming the header', async (_what, types) => {
    const lines: [string, string][] = [
      ['Authorization', `Bearer ${key}`],
      ...types.map((type): [string, string] => ['Content-Type', type]),
    ];

    const answer = await postRawHeaders(`/v1/profiles?service=${uniqueService('two-types')}`, lines, profile);

    expect([answer.status, answer.body.error?.message]).toEqual([400, expect.stringContaining('one Content-Type')]);
  });

  it('refuses two Content-Type headers on /ingest with 400 rather than storing the profile', async () => {
    const lines: [string, string][] = [
      ['Authorization', `Bearer ${key}`],
      ['Content-Type', 'application/octet-stream'],
      ['Content-Type', 'text/plain'],
    ];

    const answer = await postRawHeaders('/ingest?name=two-types&format=pprof', lines, profile);

    expect([answer.status, answer.body.error?.message]).toEqual([400, expect.stringContaining('one Content-Type')]);
  });
});

describe('generated bodies on every ingest route', () => {
  const routes: [string, string][] = [
    ['/profiling/v1/input', 'multipart/form-data; boundary=fuzz'],
    ['/ingest?name=fuzz&format=pprof', 'application/octet-stream'],
    ['/ingest?name=fuzz', 'multipart/form-data; boundary=fuzz'],
    ['/v0.4/traces', 'application/msgpack'],
    ['/v0.5/traces', 'application/msgpack'],
    ['/v1/traces', 'application/x-protobuf'],
    ['/v1/traces', 'application/json'],
    // Calls for agent features Hotspots lacks: answered whatever the body (404 or 202).
    ['/v0.7/config', 'application/json'],
    ['/dogstatsd/v2/proxy', 'text/plain'],
    ['/v0.6/stats', 'application/msgpack'],
    ['/debugger/v1/input', 'application/json'],
    ['/v1development/profiles', 'application/x-protobuf'],
    ['/v1development/profiles', 'application/json'],
  ];

  it.each(routes)('never answers %s (%s) with a 5xx, and says why it refuses', async (path, contentType) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), async (body) => {
        const answer = await post(path, body, contentType);
        expect(answer.status).toBeLessThan(500);
        if (answer.status >= 400) expect(answer.body.error?.message).toEqual(expect.any(String));
      }),
      { numRuns: 25 },
    );
  });

  it.each([
    ['/v0.4/traces', 'application/msgpack'],
    ['/profiling/v1/input', 'multipart/form-data; boundary=fuzz'],
  ])('never answers %s with a 5xx whatever Datadog-External-Env holds, nor echoes it', async (path, contentType) => {
    const header = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'hk-,abc xyz0123456789-_'.split('')), maxLength: 200 }),
      fc.string({ minLength: 1, maxLength: 300 }).map((rest) => `hk-${rest.replace(/[^\x21-\x7e]/g, 'x')}`),
    );
    await fc.assert(
      fc.asyncProperty(header, fc.uint8Array({ minLength: 1, maxLength: 256 }), async (value, body) => {
        const answer = await fetch(`${inject('apiUrl')}${path}`, {
          method: 'POST',
          headers: { 'content-type': contentType, 'datadog-external-env': value },
          body,
        });
        const text = await answer.text();
        expect(answer.status).toBeLessThan(500);
        const key = /(?:^|,)\s*hk-([^,]*)/.exec(value)?.[1]?.trim();
        if (key && key.length > 3) expect(text).not.toContain(key);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses every random /v1/profiles body that can be no profile with 400, and ends every 202 as committed or dead-lettered', async () => {
    const service = uniqueService('fuzz-pprof');
    const accepted: string[] = [];
    // Half start with a key of a Profile field, so that some pass the cheap checks and reach the consumer.
    const bodies = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 4096 }),
      fc
        .tuple(fc.constantFrom(0x0a, 0x12, 0x22, 0x32, 0x48), fc.uint8Array({ maxLength: 4095 }))
        .map(([key, rest]) => Uint8Array.of(key, ...rest)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const answer = await post(`/v1/profiles?service=${service}`, body, 'application/octet-stream');
        expect([202, 400]).toContain(answer.status);
        if (answer.status === 400) expect(answer.body.error?.message).toContain('neither gzip, zstd nor');
        else accepted.push(answer.body.profile_id ?? '');
      }),
      { numRuns: 20 },
    );

    for (const id of accepted) {
      await waitUntil(`profile ${id} to be committed or dead-lettered`, async () => {
        if (watch.has(id)) return true;
        const rows = await deps.db.query<{ n: string }>(
          sql`SELECT count() AS n FROM profiles WHERE tenant = ${tenant} AND profile_id = ${id}`,
        );
        return Number(rows[0]?.n) > 0 ? true : undefined;
      });
    }
  });
});

describe('hostile query parameters', () => {
  const now = Math.floor(Date.now() / 1000);
  const base: Record<string, Record<string, string>> = {
    '/v1/endpoints/cpu': { service: 'svc', from: String(now - 600), to: String(now), env: 'e', version: 'v' },
    '/v1/endpoints/timeseries': { service: 'svc', from: String(now - 600), to: String(now), step: '60', endpoint: 'e' },
    '/v1/flamegraph': { service: 'svc', from: String(now - 600), to: String(now), endpoint: 'e', max_nodes: '100' },
    '/v1/flamegraph/diff': {
      service: 'svc',
      from: String(now - 600),
      to: String(now),
      'a.version': 'v1',
      'b.version': 'v2',
      'b.endpoint': 'e',
      normalize: 'share',
    },
    '/v1/endpoints/requests': {
      service: 'svc',
      endpoint: 'e',
      from: String(now - 600),
      to: String(now),
      limit: '5',
      step: '60',
    },
    '/v1/changes': { service: 'svc', from: String(now - 600), to: String(now), env: 'e' },
    '/v1/services': { from: String(now - 600), to: String(now) },
    '/v1/endpoints': { service: 'svc', from: String(now - 600), to: String(now) },
  };
  const metacharacters = fc.oneof(
    fc.string({
      unit: fc.constantFrom(
        "'",
        '"',
        '\\',
        ';',
        '--',
        '/*',
        '*/',
        ')',
        '(',
        '`',
        '\0',
        '%',
        '_',
        '\n',
        'é',
        '𝄞',
        ' OR 1=1',
        'x',
      ),
    }),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );

  for (const [route, params] of Object.entries(base)) {
    for (const name of [...Object.keys(params), 'span_id', 'trace_id', 'group_by', 'format', 'measure']) {
      it(`answers ${route} with ${name} set to hostile text with a 200 or a 4xx, never a 5xx`, async () => {
        await fc.assert(
          fc.asyncProperty(metacharacters, async (value) => {
            const query = new URLSearchParams({ ...params, [name]: value });
            const { status, body } = await getJson<{ error?: { code: string } }>(`${route}?${query}`);
            expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
            if (status !== 200) expect(body.error?.code).toEqual(expect.any(String));
          }),
          { numRuns: 12 },
        );
      });
    }
  }

  it.each([
    ['/v1/spans/%s/hotspots', 'span'],
    ['/v1/traces/%s', 'trace'],
  ])('answers %s with a hostile or unparsable id with 400 or 404, never a 5xx', async (pattern) => {
    const ids = fc.oneof(
      metacharacters,
      fc.constantFrom('0', '-1', '18446744073709551616', '0x', 'ffffffffffffffffff', '1e5', '１２３', '1 OR 1=1'),
    );
    await fc.assert(
      fc.asyncProperty(ids, async (id) => {
        const path = pattern.replace('%s', encodeURIComponent(id));
        const answer = await fetch(`${inject('apiUrl')}${path}`, { headers: { authorization: `Bearer ${key}` } });
        expect([400, 404]).toContain(answer.status);
      }),
      { numRuns: 40 },
    );
  });

  it.each([['/v1/spans/123456789/hotspots'], ['/v1/traces/00000000000000000000000000abcdef']])(
    'answers %s with a hostile measure with 400 or 404, never a 5xx',
    async (path) => {
      const measures = fc.oneof(
        metacharacters,
        metacharacters.map((text) => `${text}/${text}`),
      );
      await fc.assert(
        fc.asyncProperty(measures, async (measure) => {
          const { status, body } = await getJson<{ error?: { code: string } }>(
            `${path}?${new URLSearchParams({ measure })}`,
          );
          expect([400, 404]).toContain(status);
          expect(body.error?.code).toEqual(expect.any(String));
        }),
        { numRuns: 30 },
      );
    },
  );

  it.each(Object.keys(base))('answers %s with 400 for a reversed or too wide time range', async (route) => {
    const params = base[route] ?? {};
    const reversed = await getJson<{ error: { message: string } }>(
      `${route}?${new URLSearchParams({ ...params, from: String(now), to: String(now - 600) })}`,
    );
    const tooWide = await getJson<{ error: { message: string } }>(
      `${route}?${new URLSearchParams({ ...params, from: '0', to: String(now) })}`,
    );

    expect([reversed.status, tooWide.status]).toEqual([400, 400]);
    expect(reversed.body.error.message).toContain('before');
    expect(tooWide.body.error.message).toContain('wider than the limit');
  });

  it.each(Object.keys(base))('answers %s with 400 for a window past 2106, never wrapping', async (route) => {
    const params = base[route] ?? {};
    // ClickHouse's DateTime ends at 2^32 − 1 s; `to` one hour later would wrap to 1970.
    const answer = await getJson<{ error: { message: string } }>(
      `${route}?${new URLSearchParams({ ...params, from: '4294963696', to: '4294970896' })}`,
    );

    expect([answer.status, answer.body.error?.message]).toEqual([
      400,
      expect.stringContaining('the range ClickHouse can store'),
    ]);
  });
});

describe('the Pyroscope query API (Connect) under hostile input', () => {
  const methods = [
    'SelectMergeStacktraces',
    'LabelValues',
    'SelectSeries',
    'Series',
    'SelectMergeProfile',
    'SelectHeatmap',
  ];
  const now = Date.now();

  it.each(
    methods.flatMap((m) => [
      [m, 'application/proto'],
      [m, 'application/json'],
    ]),
  )('never answers %s (%s) with a 5xx for random bodies, and answers Connect errors', async (method, contentType) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (body) => {
        const answer = await post(`/querier.v1.QuerierService/${method}`, body, contentType);
        expect(answer.status).toBeLessThan(500);
        if (answer.status >= 400) {
          expect(answer.body.code).toEqual(expect.any(String));
          expect(answer.body.message).toEqual(expect.any(String));
        }
      }),
      { numRuns: 15 },
    );
  });

  it('answers hostile selectors with a 200 or a 400 (invalid_argument), never a 5xx', async () => {
    const text = fc.string({
      unit: fc.constantFrom(
        '{',
        '}',
        '"',
        "'",
        '`',
        '\\',
        '=',
        '!',
        '~',
        ',',
        'a',
        '_',
        ' ',
        '(',
        '[',
        '*',
        '\0',
        'é',
        '--',
      ),
      maxLength: 40,
    });
    const selectors = fc.oneof(
      text,
      fc
        .tuple(fc.constantFrom('=', '!=', '=~', '!~'), fc.string({ maxLength: 20 }))
        .map(([op, value]) => `{service_name="svc", trace_endpoint${op}${JSON.stringify(value)}}`),
    );
    await fc.assert(
      fc.asyncProperty(selectors, async (labelSelector) => {
        const body = Buffer.from(
          JSON.stringify({
            profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
            labelSelector,
            start: String(now - 600_000),
            end: String(now),
          }),
        );
        const answer = await post('/querier.v1.QuerierService/SelectMergeStacktraces', body, 'application/json');
        expect([200, 400]).toContain(answer.status);
        if (answer.status === 400) expect(answer.body.code).toBe('invalid_argument');
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a body above HOTSPOTS_PYROSCOPE_MAX_REQUEST_BYTES with 413 (resource_exhausted)', async () => {
    const huge = Buffer.from(JSON.stringify({ labelSelector: 'x'.repeat(1024 * 1024 + 10) }));
    const answer = await post('/querier.v1.QuerierService/SelectMergeStacktraces', huge, 'application/json');
    expect([answer.status, answer.body.code]).toEqual([413, 'resource_exhausted']);
  });
});
