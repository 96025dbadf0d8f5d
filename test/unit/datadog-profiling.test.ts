import { gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { AgentRequest } from '../../shared/agents/agent-upload.js';
import { ingestDatadogProfiles } from '../../shared/agents/datadog-intake.js';
import {
  legacyProfileType,
  parseDatadogUpload,
  parseEndpointCounts,
  parseTagsProfiler,
} from '../../shared/agents/datadog-profiling.js';
import { parseMultipart } from '../../shared/agents/multipart.js';
import { profileIdOf } from '../../shared/agents/store-upload.js';
import { loadConfig } from '../../shared/platform/config.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import type { EnvelopePublisher, RawPayloadStore } from '../../shared/platform/ports.js';
import { readReceipt, readUploadReceipt } from '../../shared/platform/upload-receipts.js';
import { endpointCountsOf } from '../../shared/profiles/endpoint-counts.js';
import { type ProfileEnvelope, parseEnvelope } from '../../shared/profiles/envelope.js';
import { buildGoroutineProfile, buildHeapProfile } from '../support/datadog-profiles.js';
import { expectHotspotsError, expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';
import { buildMultipart, eventPart, filePart, type PartSpec } from '../support/multipart-builder.js';
import { buildCpuProfile } from '../support/pprof-builder.js';

/**
 * The Datadog profiling intake without the network: the three dd-trace-go layouts, their
 * validation, and the store-then-publish order against in-memory ports.
 */
const limits = {
  maxParts: 16,
  maxPartBytes: 1024 * 1024,
  maxTags: 32,
  maxEndpointCounts: 100,
  maxDecompressedBytes: 64 * 1024 * 1024,
};

const cpu = gzipSync(
  buildCpuProfile({ samples: [{ stack: ['main.main'], cpuNs: 10_000_000n, labels: { 'span id': '1' } }] }),
);
// dd-trace-go sends its delta heap profile zstd-compressed.
const heapZstd = zstdCompressSync(buildHeapProfile());
const goroutines = buildGoroutineProfile();
const metrics = Buffer.from('[["go_num_goroutine",12]]');
const tagsProfiler =
  'service:checkout,env:prod,version:1.2.3,host:web-1,runtime-id:7c7e1a3e-3a2b-4c1d-9e8f-0a1b2c3d4e5f,profile_seq:4,runtime:go';

function event(overrides: Record<string, unknown> = {}) {
  return {
    start: '2026-11-24T10:00:00.123456789Z',
    end: '2026-11-24T11:01:00.123456789+01:00',
    attachments: ['cpu.pprof', 'delta-heap.pprof', 'goroutines.pprof', 'metrics.json'],
    tags_profiler: tagsProfiler,
    family: 'go',
    version: '4',
    endpoint_counts: { 'GET /cart': 12, 'POST /orders': 3 },
    ...overrides,
  };
}

const currentParts = (eventOverrides: Record<string, unknown> = {}): PartSpec[] => [
  filePart('cpu.pprof', cpu),
  filePart('delta-heap.pprof', heapZstd),
  filePart('goroutines.pprof', goroutines),
  filePart('metrics.json', metrics),
  eventPart(event(eventOverrides)),
];

async function parse(parts: PartSpec[]) {
  const body = buildMultipart(parts);
  return parseDatadogUpload(await parseMultipart(body.body, body.contentType, limits), limits);
}

describe('parseTagsProfiler', () => {
  it('splits one comma-joined string into k:v tags, at the first colon', () => {
    expect(parseTagsProfiler('service:a,url:http://x:8080/y,env:prod', 10)).toEqual({
      service: 'a',
      url: 'http://x:8080/y',
      env: 'prod',
    });
  });

  it('reads a bare tag as a key with an empty value and skips empty items', () => {
    expect(parseTagsProfiler('service:a,,canary, ', 10)).toEqual({ service: 'a', canary: '' });
  });

  it('lets the last value of a repeated key win, as dd-trace-go appends its own service last', () => {
    expect(parseTagsProfiler('service:from-dd-tags,service:checkout', 10).service).toBe('checkout');
  });

  it('refuses more tags than the limit with 400', () => {
    expectHotspotsError(() => parseTagsProfiler('a:1,b:2,c:3', 2), { status: 400, message: /limit of 2/ });
  });

  it('refuses control characters in a tag with 400', () => {
    expectHotspotsError(() => parseTagsProfiler('service:a\u0007b', 10), { status: 400 });
  });
});

describe('parseEndpointCounts', () => {
  it('accepts endpoint → non-negative integer hits', () => {
    expect(parseEndpointCounts({ 'GET /a': 0, 'GET /b': 9_007_199_254_740_991 }, 10)).toEqual({
      'GET /a': 0,
      'GET /b': 9_007_199_254_740_991,
    });
  });

  it.each([[-1], [1.5], ['3'], [9_007_199_254_740_992]])('refuses %s hits with 400', (hits) => {
    expectHotspotsError(() => parseEndpointCounts({ 'GET /a': hits }, 10), { status: 400 });
  });

  it('refuses more entries than the limit with 413', () => {
    expectHotspotsError(() => parseEndpointCounts({ a: 1, b: 2, c: 3 }, 2), { status: 413 });
  });
});

describe('parseDatadogUpload, current layout (v1.42+: attachments then event.json)', () => {
  it('reads service, env and version from tags_profiler', async () => {
    const upload = await parse(currentParts());

    expect([upload.layout, upload.service, upload.env, upload.version, upload.tags['runtime-id']]).toEqual([
      'event',
      'checkout',
      'prod',
      '1.2.3',
      '7c7e1a3e-3a2b-4c1d-9e8f-0a1b2c3d4e5f',
    ]);
  });

  it('reads an end carrying a local-time offset as the same instant in UTC', async () => {
    const upload = await parse(currentParts());

    expect([upload.start, upload.end]).toEqual([Date.parse('2026-11-24T10:00:00.123Z') / 1000, upload.end]);
    expect(upload.end).toBe(Date.parse('2026-11-24T10:01:00.123Z') / 1000);
  });

  it('tells pprof attachments (each with its type and sniffed compression) from raw ones', async () => {
    const upload = await parse(currentParts());

    expect(upload.attachments.map((a) => [a.name, a.kind, a.profileType, a.encoding])).toEqual([
      ['cpu.pprof', 'pprof', 'cpu', 'gzip'],
      ['delta-heap.pprof', 'pprof', 'delta-heap', 'zstd'],
      ['goroutines.pprof', 'pprof', 'goroutines', 'identity'],
      ['metrics.json', 'raw', undefined, 'identity'],
    ]);
  });

  it('keeps endpoint_counts', async () => {
    expect((await parse(currentParts())).endpointCounts).toEqual({ 'GET /cart': 12, 'POST /orders': 3 });
  });

  it('refuses an upload without the event part (and without old form fields) with 400', async () => {
    await expectHotspotsErrorAsync(() => parse(currentParts().slice(0, -1)), { status: 400, message: /no event part/ });
  });

  it('refuses an event that is not JSON with 400', async () => {
    const parts = [...currentParts().slice(0, -1), { name: 'event', filename: 'event.json', body: '{"start":' }];

    await expectHotspotsErrorAsync(() => parse(parts), { status: 400 });
  });

  it('refuses an event whose tags carry no service with 400', async () => {
    await expectHotspotsErrorAsync(() => parse(currentParts({ tags_profiler: 'env:prod,host:a' })), {
      status: 400,
      message: /service/,
    });
  });

  it.each([
    ['start missing', { start: undefined }],
    ['end not a time', { end: 'yesterday' }],
    ['end before start', { end: '2026-11-24T09:00:00Z' }],
    ['start past 2106 (beyond ClickHouse DateTime)', { start: '2200-01-01T00:00:00Z', end: '2200-01-01T00:01:00Z' }],
    ['start before 1970', { start: '1969-12-31T23:59:00Z' }],
  ])('refuses an event with %s with 400', async (_what, overrides) => {
    await expectHotspotsErrorAsync(() => parse(currentParts(overrides)), { status: 400 });
  });

  it('refuses an event listing an attachment that no part carries with 400', async () => {
    await expectHotspotsErrorAsync(() => parse(currentParts({ attachments: ['cpu.pprof', 'delta-mutex.pprof'] })), {
      status: 400,
      message: /delta-mutex\.pprof/,
    });
  });

  it('refuses a pprof attachment in an unknown compression with 415, naming it', async () => {
    const bzip2 = Buffer.from('BZh91AY&SY\u0000\u0001', 'latin1');
    const parts = [filePart('cpu.pprof', bzip2), eventPart(event({ attachments: ['cpu.pprof'] }))];

    await expectHotspotsErrorAsync(() => parse(parts), { status: 415, message: /bzip2/ });
  });

  it('refuses a pprof attachment that is neither compressed nor a pprof with 400', async () => {
    const parts = [
      filePart('cpu.pprof', Buffer.from('<html>not a profile</html>')),
      eventPart(event({ attachments: ['cpu.pprof'] })),
    ];

    await expectHotspotsErrorAsync(() => parse(parts), { status: 400 });
  });

  it('refuses a gzip attachment whose trailer declares more than the decompressed limit with 413', async () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024));
    const parts = [filePart('cpu.pprof', bomb), eventPart(event({ attachments: ['cpu.pprof'] }))];

    const error = await expectHotspotsErrorAsync(() => parse(parts));

    expect([error.status, error.message]).toEqual([413, expect.stringContaining('exceeds the limit')]);
  });

  it('refuses an empty pprof attachment with 400', async () => {
    const parts = [filePart('cpu.pprof', Buffer.alloc(0)), eventPart(event({ attachments: ['cpu.pprof'] }))];

    await expectHotspotsErrorAsync(() => parse(parts), { status: 400 });
  });

  it('refuses an attachment name that could escape its S3 prefix with 400', async () => {
    const parts = [filePart('../cpu.pprof', cpu), eventPart(event({ attachments: [] }))];

    await expectHotspotsErrorAsync(() => parse(parts), { status: 400 });
  });

  it('refuses an upload whose only attachment is not a profile with 400', async () => {
    const parts = [filePart('metrics.json', metrics), eventPart(event({ attachments: ['metrics.json'] }))];

    await expectHotspotsErrorAsync(() => parse(parts), { status: 400 });
  });
});

describe('parseDatadogUpload, older layouts', () => {
  it('reads v1.29–1.41 form fields with data[<file name>] parts', async () => {
    const upload = await parse([
      { name: 'version', body: '3' },
      { name: 'family', body: 'go' },
      { name: 'start', body: '2026-11-24T10:00:00Z' },
      { name: 'end', body: '2026-11-24T10:01:00Z' },
      { name: 'tags[]', body: 'host:web-1' },
      { name: 'tags[]', body: 'runtime:go' },
      { name: 'tags[]', body: 'service:billing' },
      { name: 'tags[]', body: 'env:staging' },
      { name: 'data[cpu.pprof]', filename: 'pprof-data', body: cpu },
      { name: 'data[heap.pprof]', filename: 'pprof-data', body: gzipSync(buildHeapProfile()) },
      { name: 'data[metrics.json]', filename: 'pprof-data', body: metrics },
    ]);

    expect({
      layout: upload.layout,
      service: upload.service,
      env: upload.env,
      window: [upload.start, upload.end],
      attachments: upload.attachments.map((a) => [a.name, a.profileType]),
    }).toEqual({
      layout: 'v3',
      service: 'billing',
      env: 'staging',
      window: [Date.parse('2026-11-24T10:00:00Z') / 1000, Date.parse('2026-11-24T10:01:00Z') / 1000],
      attachments: [
        ['cpu.pprof', 'cpu'],
        ['heap.pprof', 'heap'],
        ['metrics.json', undefined],
      ],
    });
  });

  it('reads v1.23–1.28 form fields with types[i] and data[i] parts', async () => {
    const upload = await parse([
      { name: 'format', body: 'pprof' },
      { name: 'runtime', body: 'go' },
      { name: 'recording-start', body: '2026-11-24T10:00:00Z' },
      { name: 'recording-end', body: '2026-11-24T10:01:00Z' },
      { name: 'tags[]', body: 'runtime:go' },
      { name: 'tags[]', body: 'service:legacy' },
      { name: 'types[0]', body: 'alloc_objects,alloc_space,inuse_objects,inuse_space' },
      { name: 'types[1]', body: 'samples,cpu' },
      { name: 'data[0]', filename: 'pprof-data', body: gzipSync(buildHeapProfile()) },
      { name: 'data[1]', filename: 'pprof-data', body: cpu },
    ]);

    expect([upload.layout, upload.service, upload.attachments.map((a) => [a.name, a.profileType])]).toEqual([
      'legacy',
      'legacy',
      [
        ['heap.pprof', 'heap'],
        ['cpu.pprof', 'cpu'],
      ],
    ]);
  });

  it('refuses a v1.23 data[i] part without its types[i] with 400', async () => {
    await expectHotspotsErrorAsync(
      () =>
        parse([
          { name: 'format', body: 'pprof' },
          { name: 'recording-start', body: '2026-11-24T10:00:00Z' },
          { name: 'recording-end', body: '2026-11-24T10:01:00Z' },
          { name: 'tags[]', body: 'service:legacy' },
          { name: 'data[0]', filename: 'pprof-data', body: cpu },
        ]),
      { status: 400, message: /types\[0\]/ },
    );
  });

  it.each([
    ['samples,cpu', 'cpu'],
    ['alloc_objects,alloc_space,inuse_objects,inuse_space', 'heap'],
    ['delay', 'block'],
    ['contentions', 'mutex'],
    ['goroutines', 'goroutines'],
    ['wall', 'wall'],
  ])('names the legacy types %s as %s', (types, name) => {
    expect(legacyProfileType(types)).toBe(name);
  });
});

/** In-memory ports that record every call, in order, across both. */
function fakes(options: { failPutAt?: number } = {}) {
  const calls: string[] = [];
  const objects = new Map<string, Uint8Array>();
  const messages: { key: string; value: Buffer }[] = [];
  const rawStore: RawPayloadStore = {
    async put(key, bytes) {
      if (options.failPutAt !== undefined && objects.size === options.failPutAt) {
        throw new HotspotsError('unavailable', 'S3 down');
      }
      calls.push(`put ${key}`);
      objects.set(key, Uint8Array.from(bytes));
    },
    async get(key) {
      const bytes = objects.get(key);
      if (!bytes) throw new HotspotsError('not_found', key);
      return bytes;
    },
    async ping() {},
  };
  const publisher: EnvelopePublisher = {
    async publish(_topic, key, value) {
      calls.push(`publish ${key}`);
      messages.push({ key, value });
    },
    async ping() {},
  };
  return { rawStore, publisher, calls, objects, messages };
}

const receivedAt = new Date('2026-11-24T10:01:02Z');

function intakeDeps(ports: ReturnType<typeof fakes>, overrides: Partial<typeof limits> = {}, maxBodyBytes = 4 << 20) {
  return {
    rawStore: ports.rawStore,
    publisher: ports.publisher,
    profilesTopic: 'hotspots.profiles',
    rawBucket: 'raw-bucket',
    now: () => receivedAt,
    maxBodyBytes,
    limits: { ...limits, ...overrides },
  };
}

function request(parts: PartSpec[], overrides: Partial<AgentRequest> = {}): AgentRequest {
  const body = buildMultipart(parts);
  return { tenant: 'acme', contentType: body.contentType, body: body.body, bodyIsBinary: true, ...overrides };
}

describe('ingestDatadogProfiles', () => {
  it('stores every attachment raw before it publishes one envelope per pprof attachment', async () => {
    const ports = fakes();

    const stored = await ingestDatadogProfiles(intakeDeps(ports), request(currentParts()));

    const firstPublish = ports.calls.findIndex((c) => c.startsWith('publish'));
    const storedFirst = ports.calls.slice(0, firstPublish);
    expect(storedFirst.filter((c) => /^put raw\/(profiles|attachments)\//.test(c))).toHaveLength(4);
    expect(storedFirst.filter((c) => c.startsWith('put raw/endpoint-counts/'))).toEqual([
      `put raw/endpoint-counts/acme/2026/11/24/${stored.uploadId}.json`,
    ]);
    expect(ports.calls.slice(firstPublish).every((c) => c.startsWith('publish'))).toBe(true);
    expect(ports.messages.map((m) => m.key)).toEqual(stored.profiles.map((p) => p.profileId));
    expect(stored.raw.map((r) => r.key)).toEqual([`raw/attachments/acme/2026/11/24/${stored.uploadId}/metrics.json`]);
  });

  it('writes the receipt of every profile id before publishing, naming the upload', async () => {
    const ports = fakes();

    const stored = await ingestDatadogProfiles(intakeDeps(ports), request(currentParts()));

    const firstPublish = ports.calls.findIndex((c) => c.startsWith('publish'));
    expect(
      ports.calls
        .slice(0, firstPublish)
        .filter((c) => c.startsWith('put receipts/profiles/'))
        .sort(),
    ).toEqual(stored.profiles.map((p) => `put receipts/profiles/acme/${p.profileId}.json`).sort());
    const receipts = await Promise.all(stored.profiles.map((p) => readReceipt(ports.rawStore, 'acme', p.profileId)));
    expect(receipts.map((r) => [r?.service, r?.upload_id, r?.accepted_at])).toEqual(
      stored.profiles.map(() => ['checkout', stored.uploadId, receivedAt.toISOString()]),
    );
  });

  it('writes the upload’s receipt, listing its profile ids by attachment, before publishing', async () => {
    const ports = fakes();

    const stored = await ingestDatadogProfiles(intakeDeps(ports), request(currentParts()));

    const receiptPut = ports.calls.indexOf(`put receipts/uploads/acme/${stored.uploadId}.json`);
    expect(receiptPut).toBeGreaterThanOrEqual(0);
    expect(receiptPut).toBeLessThan(ports.calls.findIndex((c) => c.startsWith('publish')));
    expect((await readUploadReceipt(ports.rawStore, 'acme', stored.uploadId))?.profiles).toEqual(
      stored.profiles.map((p) => ({ profile_id: p.profileId, attachment: p.name })),
    );
  });

  it('stores the attachments unchanged, under the raw profile key scheme', async () => {
    const ports = fakes();

    const stored = await ingestDatadogProfiles(intakeDeps(ports), request(currentParts()));

    const heap = stored.profiles.find((p) => p.name === 'delta-heap.pprof');
    expect(heap?.key).toBe(`raw/profiles/acme/2026/11/24/${heap?.profileId}.pprof.zst`);
    expect(Buffer.from(ports.objects.get(heap?.key ?? '') ?? []).equals(heapZstd)).toBe(true);
  });

  it('writes envelopes the consumer accepts, with the profile type, and endpoint counts on the CPU one only', async () => {
    const ports = fakes();

    const stored = await ingestDatadogProfiles(intakeDeps(ports), request(currentParts()));

    const envelopes = ports.messages.map((m) => parseEnvelope(m.value));
    const countsKey = `raw/endpoint-counts/acme/2026/11/24/${stored.uploadId}.json`;
    expect(envelopes.map((e) => [e.profile_type, e.encoding, e.endpoint_counts_key, e.endpoint_counts])).toEqual([
      ['cpu', 'gzip', countsKey, undefined],
      ['delta-heap', 'zstd', undefined, undefined],
      ['goroutines', 'identity', undefined, undefined],
    ]);
    expect(await endpointCountsOf(envelopes[0] as ProfileEnvelope, ports.rawStore)).toEqual({
      'GET /cart': 12,
      'POST /orders': 3,
    });
    expect(envelopes.every((e) => e.service === 'checkout' && e.env === 'prod' && e.version === '1.2.3')).toBe(true);
    expect(new Set(envelopes.map((e) => e.upload_id)).size).toBe(1);
  });

  it('keeps every envelope small with the documented maximum of endpoint counts (10,000 of 110 characters)', async () => {
    const ports = fakes();
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) counts[`GET /api/${String(i).padStart(5, '0')}/`.padEnd(110, 'x')] = i;

    await ingestDatadogProfiles(
      intakeDeps(ports, { maxEndpointCounts: 10_000, maxPartBytes: 4 << 20 }),
      request(currentParts({ endpoint_counts: counts })),
    );

    const sizes = ports.messages.map((m) => m.value.length);
    expect(Math.max(...sizes)).toBeLessThan(4096);
    const cpuEnvelope = parseEnvelope(ports.messages[0]?.value ?? Buffer.alloc(0));
    expect(await endpointCountsOf(cpuEnvelope, ports.rawStore)).toEqual(counts);
  });

  it('puts endpoint counts on the attachment that holds CPU: wall.pprof (dd-trace-js), profile.pprof (ddtrace)', async () => {
    for (const [names, carrier] of [
      [['events.pprof', 'space.pprof', 'wall.pprof'], 'wall'],
      [['profile.pprof'], 'profile'],
    ] as const) {
      const ports = fakes();
      const parts = [
        ...names.map((name) => filePart(name, cpu)),
        eventPart(event({ attachments: [...names], family: 'node' })),
      ];

      await ingestDatadogProfiles(intakeDeps(ports), request(parts));

      const envelopes = ports.messages.map((m) => parseEnvelope(m.value));
      expect(envelopes.filter((e) => e.endpoint_counts_key).map((e) => e.profile_type)).toEqual([carrier]);
    }
  });

  it('derives the same ids from a retried upload, so the consumer skips what it already committed', async () => {
    const [first, second] = [fakes(), fakes()];

    const a = await ingestDatadogProfiles(intakeDeps(first), request(currentParts()));
    const b = await ingestDatadogProfiles(intakeDeps(second), request(currentParts()));

    expect(b.profiles.map((p) => p.profileId)).toEqual(a.profiles.map((p) => p.profileId));
    expect(a.profiles[0]?.profileId).toBe(profileIdOf(a.uploadId, 'cpu.pprof'));
  });

  it('gives different ids to different uploads of the same process', async () => {
    const a = await ingestDatadogProfiles(intakeDeps(fakes()), request(currentParts()));
    const b = await ingestDatadogProfiles(
      intakeDeps(fakes()),
      request(currentParts({ tags_profiler: tagsProfiler.replace('profile_seq:4', 'profile_seq:5') })),
    );

    expect(b.uploadId).not.toBe(a.uploadId);
  });

  it('stores nothing and publishes nothing when the last attachment is invalid', async () => {
    const ports = fakes();
    const parts = [
      filePart('cpu.pprof', cpu),
      filePart('delta-heap.pprof', Buffer.from('BZh9')),
      eventPart(event({ attachments: ['cpu.pprof', 'delta-heap.pprof'] })),
    ];

    await expectHotspotsErrorAsync(() => ingestDatadogProfiles(intakeDeps(ports), request(parts)), { status: 415 });

    expect(ports.calls).toEqual([]);
  });

  it('publishes nothing when storing an attachment fails (503, retried by the agent)', async () => {
    const ports = fakes({ failPutAt: 2 });

    await expectHotspotsErrorAsync(() => ingestDatadogProfiles(intakeDeps(ports), request(currentParts())), {
      status: 503,
    });

    expect(ports.messages).toEqual([]);
  });

  it('refuses a non-multipart content type with 415', async () => {
    await expectHotspotsErrorAsync(
      () => ingestDatadogProfiles(intakeDeps(fakes()), request(currentParts(), { contentType: 'application/json' })),
      { status: 415 },
    );
  });

  it('refuses a body the gateway passed as text with 415', async () => {
    await expectHotspotsErrorAsync(
      () => ingestDatadogProfiles(intakeDeps(fakes()), request(currentParts(), { bodyIsBinary: false })),
      { status: 415, message: /as text/ },
    );
  });

  it('refuses a body above the body limit with 413', async () => {
    await expectHotspotsErrorAsync(
      () => ingestDatadogProfiles(intakeDeps(fakes(), {}, 1024), request(currentParts())),
      { status: 413 },
    );
  });

  it('refuses an attachment above the part limit with 413', async () => {
    await expectHotspotsErrorAsync(
      () => ingestDatadogProfiles(intakeDeps(fakes(), { maxPartBytes: 100 }), request(currentParts())),
      { status: 413, message: /larger than 100 bytes/ },
    );
  });

  it('refuses more parts than the limit with 413', async () => {
    await expectHotspotsErrorAsync(
      () => ingestDatadogProfiles(intakeDeps(fakes(), { maxParts: 4 }), request(currentParts())),
      { status: 413 },
    );
  });
});

describe('agent intake limits in the configuration', () => {
  it('has documented defaults', () => {
    expect(loadConfig({}).agentLimits).toEqual({
      maxParts: 32,
      maxPartBytes: 8 * 1024 * 1024,
      maxTags: 128,
      maxEndpointCounts: 10_000,
    });
  });

  it.each([
    ['HOTSPOTS_MAX_UPLOAD_PARTS', 'maxParts', 2, 1000],
    ['HOTSPOTS_MAX_UPLOAD_PART_BYTES', 'maxPartBytes', 1024, 1024 * 1024 * 1024],
    ['HOTSPOTS_MAX_PROFILE_TAGS', 'maxTags', 1, 10_000],
    ['HOTSPOTS_MAX_ENDPOINT_COUNTS', 'maxEndpointCounts', 1, 1_000_000],
  ] as const)('reads %s within its range and refuses it outside, naming it', (variable, field, min, max) => {
    expect(loadConfig({ [variable]: String(min) }).agentLimits[field]).toBe(min);
    expect(loadConfig({ [variable]: String(max) }).agentLimits[field]).toBe(max);
    expect(() => loadConfig({ [variable]: String(min - 1) })).toThrow(variable);
    expect(() => loadConfig({ [variable]: String(max + 1) })).toThrow(variable);
    expect(() => loadConfig({ [variable]: 'lots' })).toThrow(variable);
  });
});

describe('envelope fields of the agent intakes', () => {
  const base = {
    v: 1,
    kind: 'profile',
    profile_id: 'p1',
    tenant: 'acme',
    service: 'checkout',
    env: '',
    version: '',
    tags: {},
    start: null,
    end: null,
    received_at: '2026-11-24T10:00:00.000Z',
    s3: { bucket: 'b', key: 'raw/profiles/acme/p1.pprof' },
    bytes: 10,
    encoding: 'identity',
    format: 'pprof',
  };
  const parse = (extra: Record<string, unknown>) => parseEnvelope(Buffer.from(JSON.stringify({ ...base, ...extra })));

  it('keeps envelopes written without them valid, with the fields absent', () => {
    const envelope = parse({});

    expect([envelope.profile_type, envelope.upload_id, envelope.endpoint_counts]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('reads profile_type, upload_id and endpoint_counts when present', () => {
    const envelope = parse({ profile_type: 'cpu', upload_id: 'u1', endpoint_counts: { 'GET /a': 3 } });

    expect([envelope.profile_type, envelope.upload_id, envelope.endpoint_counts]).toEqual([
      'cpu',
      'u1',
      { 'GET /a': 3 },
    ]);
  });

  it.each([
    [{ profile_type: '' }],
    [{ upload_id: 7 }],
    [{ endpoint_counts: [] }],
    [{ endpoint_counts: { 'GET /a': -1 } }],
    [{ endpoint_counts: { 'GET /a': '3' } }],
  ])('treats %j as poison (unprocessable)', (extra) => {
    expectHotspotsError(() => parse(extra), { code: 'unprocessable' });
  });
});
