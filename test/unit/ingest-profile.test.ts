import { gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import type { EnvelopePublisher, RawPayloadStore } from '../../shared/platform/ports.js';
import { readReceipt } from '../../shared/platform/upload-receipts.js';
import { parseUuid } from '../../shared/platform/uuids.js';
import { parseEnvelope } from '../../shared/profiles/envelope.js';
import { idempotentProfileId, parseIdempotencyKey } from '../../shared/profiles/idempotency.js';
import {
  type IngestProfileDeps,
  type IngestProfileRequest,
  ingestProfile,
  parseTags,
  rawProfileKey,
} from '../../shared/profiles/ingest-profile.js';
import { expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { zstdRleBomb } from '../support/zstd-frames.js';

/** In-memory raw-payload store that records what was put, in order. */
function createFakeStore() {
  const objects = new Map<string, { bytes: Uint8Array; contentType: string }>();
  const puts: string[] = [];
  const store: RawPayloadStore = {
    async put(key, bytes, contentType) {
      puts.push(key);
      objects.set(key, { bytes: Uint8Array.from(bytes), contentType });
    },
    async get(key) {
      const object = objects.get(key);
      if (!object) throw new HotspotsError('not_found', `no object ${key}`);
      return object.bytes;
    },
    async ping() {},
  };
  return { store, objects, puts };
}

/** In-memory envelope publisher; `failWith` makes every publish throw it. */
function createFakePublisher(failWith?: Error) {
  const messages: Array<{ topic: string; key: string; value: Buffer }> = [];
  const publisher: EnvelopePublisher = {
    async publish(topic, key, value) {
      if (failWith) throw failWith;
      messages.push({ topic, key, value });
    },
    async ping() {},
  };
  return { publisher, messages };
}

const receivedAt = new Date('2026-11-24T10:01:02.003Z');
const profileBytes = gzipSync(buildCpuProfile({ samples: [{ stack: ['main.main'], cpuNs: 10_000_000n }] }));

function setup(overrides: { maxBodyBytes?: number; failPublishWith?: Error } = {}) {
  const store = createFakeStore();
  const publisher = createFakePublisher(overrides.failPublishWith);
  const deps: IngestProfileDeps = {
    rawStore: store.store,
    publisher: publisher.publisher,
    profilesTopic: 'hotspots.profiles.test',
    rawBucket: 'raw-bucket',
    maxBodyBytes: overrides.maxBodyBytes ?? 1024 * 1024,
    maxDecompressedBytes: 64 * 1024 * 1024,
    now: () => receivedAt,
    newId: () => 'prof-0001',
  };
  return { deps, store, publisher };
}

function request(overrides: Partial<IngestProfileRequest> = {}): IngestProfileRequest {
  return {
    tenant: 'acme',
    query: { service: 'checkout', env: 'prod', version: '1.2.3' },
    contentType: 'application/octet-stream',
    body: profileBytes,
    bodyIsBinary: true,
    ...overrides,
  };
}

describe('ingestProfile accepting an upload', () => {
  it('stores the body byte for byte under the raw key', async () => {
    const { deps, store } = setup();

    await ingestProfile(deps, request());

    const stored = store.objects.get('raw/profiles/acme/2026/11/24/prof-0001.pprof.gz');
    expect([Buffer.from(stored?.bytes ?? []).equals(profileBytes), stored?.contentType]).toEqual([
      true,
      'application/octet-stream',
    ]);
  });

  it('publishes one envelope, keyed by profile id, to the profiles topic', async () => {
    const { deps, publisher } = setup();

    await ingestProfile(deps, request());

    expect(publisher.messages.map(({ topic, key }) => ({ topic, key }))).toEqual([
      { topic: 'hotspots.profiles.test', key: 'prof-0001' },
    ]);
  });

  it('publishes an envelope pointing at the object it stored', async () => {
    const { deps, store, publisher } = setup();

    await ingestProfile(deps, request());

    const envelope = parseEnvelope(publisher.messages[0]?.value ?? new Uint8Array(0));
    expect(envelope.s3).toEqual({ bucket: 'raw-bucket', key: store.puts[0] });
  });

  it('publishes an envelope describing the upload', async () => {
    const { deps, publisher } = setup();

    await ingestProfile(
      deps,
      request({
        query: {
          service: 'checkout',
          env: 'prod',
          version: '1.2.3',
          start: '1795514400',
          end: '1795514460',
          tags: 'region:eu,pod:p-1',
        },
      }),
    );

    expect(parseEnvelope(publisher.messages[0]?.value ?? new Uint8Array(0))).toEqual({
      v: 1,
      kind: 'profile',
      profile_id: 'prof-0001',
      tenant: 'acme',
      service: 'checkout',
      env: 'prod',
      version: '1.2.3',
      tags: { region: 'eu', pod: 'p-1' },
      start: 1_795_514_400,
      end: 1_795_514_460,
      received_at: '2026-11-24T10:01:02.003Z',
      s3: { bucket: 'raw-bucket', key: 'raw/profiles/acme/2026/11/24/prof-0001.pprof.gz' },
      bytes: profileBytes.length,
      encoding: 'gzip',
      format: 'pprof',
    });
  });

  it('returns the profile id and the envelope it published', async () => {
    const { deps, publisher } = setup();

    const result = await ingestProfile(deps, request());

    expect([result.profileId, result.envelope]).toEqual([
      'prof-0001',
      parseEnvelope(publisher.messages[0]?.value ?? new Uint8Array(0)),
    ]);
  });

  it('stores the profile and its receipt before it publishes', async () => {
    const { deps, store } = setup();
    const order: string[] = [];
    deps.rawStore = { ...store.store, put: async (key) => void order.push(`put ${key}`) };
    deps.publisher = { publish: async () => void order.push('publish'), ping: async () => {} };

    await ingestProfile(deps, request());

    expect(order).toEqual([
      'put raw/profiles/acme/2026/11/24/prof-0001.pprof.gz',
      'put receipts/profiles/acme/prof-0001.json',
      'publish',
    ]);
  });

  it('writes a receipt that GET /v1/profiles/{id} finds by tenant and id', async () => {
    const { deps, store } = setup();

    await ingestProfile(deps, request());

    expect(await readReceipt(store.store, 'acme', 'prof-0001')).toEqual({
      v: 1,
      tenant: 'acme',
      profile_id: 'prof-0001',
      service: 'checkout',
      accepted_at: receivedAt.toISOString(),
    });
  });

  it('accepts the content type with parameters and in any case', async () => {
    const { deps, publisher } = setup();

    await ingestProfile(deps, request({ contentType: 'Application/Octet-Stream; charset=binary' }));

    expect(publisher.messages.length).toBe(1);
  });

  it('names an uncompressed profile .pprof', async () => {
    const { deps, store } = setup();

    await ingestProfile(deps, request({ body: buildCpuProfile({ samples: [] }) }));

    expect(store.puts[0]).toBe('raw/profiles/acme/2026/11/24/prof-0001.pprof');
  });

  it('trims names and leaves env and version empty when absent', async () => {
    const { deps } = setup();

    const { envelope } = await ingestProfile(deps, request({ query: { service: '  checkout  ' } }));

    expect([envelope.service, envelope.env, envelope.version, envelope.start, envelope.end]).toEqual([
      'checkout',
      '',
      '',
      null,
      null,
    ]);
  });

  it('accepts a body of exactly the maximum size', async () => {
    const { deps, publisher } = setup({ maxBodyBytes: profileBytes.length });

    await ingestProfile(deps, request());

    expect(publisher.messages.length).toBe(1);
  });
});

describe('ingestProfile content types', () => {
  it.each([
    ['no Content-Type (Node fetch with a Buffer)', undefined],
    ['an empty Content-Type', ''],
    ['application/x-protobuf', 'application/x-protobuf'],
    ['application/protobuf', 'application/protobuf'],
    ['application/vnd.google.protobuf', 'application/vnd.google.protobuf'],
    ['application/gzip', 'application/gzip'],
    ['application/x-gzip', 'application/x-gzip'],
    ['application/zstd', 'application/zstd'],
    [
      'application/x-www-form-urlencoded passed as bytes (curl --data-binary without -H)',
      'application/x-www-form-urlencoded',
    ],
  ])('accepts a profile sent with %s', async (_what, contentType) => {
    const { deps, store } = setup();

    const { envelope } = await ingestProfile(deps, request({ contentType }));

    expect([envelope.encoding, store.puts.filter((key) => key.startsWith('raw/')).length]).toEqual(['gzip', 1]);
  });
});

describe('ingestProfile refusing an upload', () => {
  it.each([
    ['application/json', 'application/json'],
    ['multipart/form-data', 'multipart/form-data; boundary=x'],
    ['text/plain', 'text/plain; charset=utf-8'],
  ])('refuses %s as unsupported_media_type, naming what is accepted', async (_what, contentType) => {
    const { deps } = setup();

    const error = await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ contentType })));

    expect([error.code, error.status, error.message]).toEqual([
      'unsupported_media_type',
      415,
      expect.stringContaining('with no Content-Type or as application/octet-stream, application/x-protobuf'),
    ]);
  });

  it.each([
    ['application/octet-stream', 'application/octet-stream'],
    ['application/x-www-form-urlencoded (curl --data-binary without -H)', 'application/x-www-form-urlencoded'],
  ])(
    'refuses a %s body that the gateway passed as text, since text decoding corrupts it',
    async (_what, contentType) => {
      const { deps, store } = setup();

      const error = await expectHotspotsErrorAsync(() =>
        ingestProfile(deps, request({ contentType, bodyIsBinary: false })),
      );

      expect([error.status, error.message, store.puts]).toEqual([415, expect.stringContaining('as text'), []]);
    },
  );

  it('refuses a form-typed body passed as bytes that is no profile (a real form) with 415, naming what is accepted', async () => {
    const { deps, store } = setup();
    const form = { contentType: 'application/x-www-form-urlencoded', body: Buffer.from('service=checkout&env=prod') };

    const error = await expectHotspotsErrorAsync(() => ingestProfile(deps, request(form)));

    expect([error.status, error.message, store.puts]).toEqual([
      415,
      expect.stringContaining('application/octet-stream'),
      [],
    ]);
  });

  it.each([
    ['an HTML page', Buffer.from('<html>502</html>'), 'bad_request', 'a first byte of 0x3c'],
    ['random bytes', Uint8Array.of(0xff, 0x00, 0x13, 0x37), 'bad_request', 'neither gzip, zstd nor'],
    ['a bzip2 stream', Buffer.from('BZh91AY&SY\u0000\u0001', 'latin1'), 'unsupported_media_type', 'bzip2'],
  ])('refuses %s, which can be no profile, without storing it', async (_what, body, code, message) => {
    const { deps, store } = setup();

    const error = await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ body })));

    expect([error.code, error.message, store.puts]).toEqual([code, expect.stringContaining(message), []]);
  });

  it('refuses a gzip body whose trailer declares more than the decompressed limit with 413, storing nothing', async () => {
    const { deps, store } = setup();
    const bomb = gzipSync(Buffer.alloc(65 * 1024 * 1024));

    const error = await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ body: bomb })));

    expect([error.status, error.message, store.puts]).toEqual([413, expect.stringContaining('exceeds the limit'), []]);
  });

  it('refuses a zstd frame whose header declares more than the decompressed limit with 413, storing nothing', async () => {
    const { deps, store } = setup();
    // zstd writes Frame_Content_Size when it knows the input's size, as a one-shot compression does.
    const bomb = zstdCompressSync(Buffer.alloc(65 * 1024 * 1024));

    const error = await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ body: bomb })));

    expect([error.status, error.message, store.puts]).toEqual([413, expect.stringContaining('exceeds the limit'), []]);
  });

  it('refuses a zstd frame of a few bytes declaring 1 TiB with 413, storing nothing', async () => {
    const { deps, store } = setup();
    // Frame_Header_Descriptor 0xe0: an 8-byte Frame_Content_Size, Single_Segment; then one last raw
    // block of one byte.
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0]);
    const lying = Buffer.concat([header, Buffer.from([0x09, 0x00, 0x00, 0x0a])]);

    const error = await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ body: lying })));

    expect([error.status, store.puts]).toEqual([413, []]);
  });

  it('refuses zstd RLE blocks that add up to more than the decompressed limit with 413, storing nothing', async () => {
    const { deps, store } = setup();

    const error = await expectHotspotsErrorAsync(() =>
      ingestProfile(deps, request({ body: zstdRleBomb(65 * 1024 * 1024) })),
    );

    expect([error.status, store.puts]).toEqual([413, []]);
  });

  it('stores a zstd body declaring no more than the limit, and one that is corrupt, for the consumer to judge', async () => {
    const { deps, store } = setup();

    await ingestProfile(deps, request({ body: zstdCompressSync(profileBytes) }));
    await ingestProfile(deps, request({ body: zstdCompressSync(profileBytes).subarray(0, 9) }));

    expect(store.puts.filter((key) => key.startsWith('raw/'))).toHaveLength(2);
  });

  it('stores a gzip body whose trailer lies, for the consumer to stop while inflating', async () => {
    const { deps, store } = setup();
    const bomb = Buffer.from(gzipSync(Buffer.alloc(65 * 1024 * 1024)));
    bomb.writeUInt32LE(1024, bomb.length - 4);

    await ingestProfile(deps, request({ body: bomb }));

    expect(store.puts.filter((key) => key.startsWith('raw/'))).toHaveLength(1);
  });

  it('refuses an empty body as bad_request even when the gateway flags it as text, as it flags every empty body', async () => {
    const { deps } = setup();

    const error = await expectHotspotsErrorAsync(() =>
      ingestProfile(deps, request({ body: new Uint8Array(0), bodyIsBinary: false })),
    );

    expect(error.code).toBe('bad_request');
  });

  it('refuses an empty body as bad_request', async () => {
    const { deps } = setup();

    await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ body: new Uint8Array(0) })), {
      code: 'bad_request',
      message: 'request body is empty: send one pprof profile',
    });
  });

  it('refuses a body one byte over the maximum as payload_too_large', async () => {
    const { deps } = setup({ maxBodyBytes: profileBytes.length - 1 });

    await expectHotspotsErrorAsync(() => ingestProfile(deps, request()), { code: 'payload_too_large', status: 413 });
  });

  it('refuses an upload without a service as bad_request', async () => {
    const { deps } = setup();

    await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ query: { env: 'prod' } })), {
      code: 'bad_request',
      message: 'service is required',
    });
  });

  it('refuses a blank service as bad_request', async () => {
    const { deps } = setup();

    await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ query: { service: '   ' } })), {
      code: 'bad_request',
    });
  });

  it.each([
    ['service', 'check\nout'],
    ['service', 'check\u0000out'],
    ['env', 'pr\rod'],
    ['version', '1.2\u007f'],
  ])('refuses the %s %j, which holds control characters, as bad_request', async (field, value) => {
    const { deps } = setup();

    await expectHotspotsErrorAsync(
      () => ingestProfile(deps, request({ query: { service: 'checkout', [field]: value } })),
      { code: 'bad_request', message: `${field} contains control characters` },
    );
  });

  it('trims surrounding whitespace, control characters such as a trailing CR included', async () => {
    const { deps } = setup();

    const { envelope } = await ingestProfile(deps, request({ query: { service: 'checkout', env: 'prod\r\n' } }));

    expect(envelope.env).toBe('prod');
  });

  it('refuses a service longer than 200 characters', async () => {
    const { deps } = setup();

    await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ query: { service: 's'.repeat(201) } })), {
      code: 'bad_request',
    });
  });

  it('refuses a start that is not a time as bad_request', async () => {
    const { deps } = setup();

    await expectHotspotsErrorAsync(
      () => ingestProfile(deps, request({ query: { service: 'checkout', start: 'soon' } })),
      { code: 'bad_request' },
    );
  });

  it.each([
    ['a start', 'start', '4294967296'],
    ['an end', 'end', '2200-01-01T00:00:00Z'],
  ])('refuses %s past 2106, which ClickHouse cannot store, as bad_request', async (_what, field, value) => {
    const { deps, store } = setup();

    const error = await expectHotspotsErrorAsync(() =>
      ingestProfile(deps, request({ query: { service: 'checkout', [field]: value } })),
    );

    expect([error.code, error.message, store.puts]).toEqual([
      'bad_request',
      expect.stringContaining('the range ClickHouse can store'),
      [],
    ]);
  });

  it('refuses an end before the start as bad_request', async () => {
    const { deps } = setup();
    const query = { service: 'checkout', start: '1795514460', end: '1795514400' };

    await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ query })), {
      code: 'bad_request',
      message: 'end must not be before start',
    });
  });

  it('refuses bad tags as bad_request', async () => {
    const { deps } = setup();

    await expectHotspotsErrorAsync(
      () => ingestProfile(deps, request({ query: { service: 'checkout', tags: 'novalue' } })),
      { code: 'bad_request' },
    );
  });

  it('stores and publishes nothing when it refuses an upload', async () => {
    const { deps, store, publisher } = setup();

    await expectHotspotsErrorAsync(() => ingestProfile(deps, request({ query: {} })));

    expect([store.puts.length, publisher.messages.length]).toEqual([0, 0]);
  });

  it('lets a publisher failure propagate unchanged', async () => {
    const failure = new Error('broker unavailable');
    const { deps } = setup({ failPublishWith: failure });

    await expect(ingestProfile(deps, request())).rejects.toBe(failure);
  });

  it('has stored the bytes when the publisher fails, so a retry finds them', async () => {
    const { deps, store } = setup({ failPublishWith: new Error('broker unavailable') });

    await ingestProfile(deps, request()).catch(() => undefined);

    expect(store.puts).toEqual([
      'raw/profiles/acme/2026/11/24/prof-0001.pprof.gz',
      'receipts/profiles/acme/prof-0001.json',
    ]);
  });

  it('does not publish when storing fails', async () => {
    const { deps, publisher } = setup();
    deps.rawStore = { ...deps.rawStore, put: async () => Promise.reject(new Error('S3 down')) };

    await ingestProfile(deps, request()).catch(() => undefined);

    expect(publisher.messages.length).toBe(0);
  });
});

describe('parseTags', () => {
  it('reads key:value pairs', () => {
    expect(parseTags('region:eu-west-1,pod:checkout-7f9c')).toEqual({ region: 'eu-west-1', pod: 'checkout-7f9c' });
  });

  it('splits each tag at its first colon', () => {
    expect(parseTags('url:http://x:8080/a')).toEqual({ url: 'http://x:8080/a' });
  });

  it('keeps an empty value', () => {
    expect(parseTags('flag:')).toEqual({ flag: '' });
  });

  it('skips empty items', () => {
    expect(parseTags(',a:1,,b:2,')).toEqual({ a: '1', b: '2' });
  });

  it('trims keys and values', () => {
    expect(parseTags(' a : 1 ')).toEqual({ a: '1' });
  });

  it('reads no tags from nothing', () => {
    expect([parseTags(undefined), parseTags(''), parseTags('  ')]).toEqual([{}, {}, {}]);
  });

  it('lets a later tag with the same key win', () => {
    expect(parseTags('a:1,a:2')).toEqual({ a: '2' });
  });

  it.each(['novalue', ':value', 'a:1,bad'])('refuses the malformed tag list %j', (raw) => {
    expect(() => parseTags(raw)).toThrow(/must be key:value/);
  });

  it('refuses a blank key', () => {
    expect(() => parseTags('  :v')).toThrow(/tag key is required/);
  });

  it('refuses more than 64 tags', () => {
    const raw = Array.from({ length: 65 }, (_, i) => `k${i}:v`).join(',');

    expect(() => parseTags(raw)).toThrow(/at most 64 tags/);
  });

  it('accepts 64 tags', () => {
    const raw = Array.from({ length: 64 }, (_, i) => `k${i}:v`).join(',');

    expect(Object.keys(parseTags(raw)).length).toBe(64);
  });

  it('refuses a tag value with control characters', () => {
    expect(() => parseTags('a:x\ny')).toThrow(/tag value contains control characters/);
  });

  it('refuses a tag key longer than 200 characters', () => {
    expect(() => parseTags(`${'k'.repeat(201)}:v`)).toThrow(/tag key is longer than 200/);
  });

  it('refuses with bad_request', () => {
    let caught: unknown;
    try {
      parseTags('novalue');
    } catch (error) {
      caught = error;
    }

    expect((caught as HotspotsError).code).toBe('bad_request');
  });
});

describe('rawProfileKey', () => {
  it('files a profile under its tenant and UTC receive date', () => {
    const key = rawProfileKey('acme', new Date('2026-11-24T23:30:00-05:00'), 'p1', 'zstd');

    expect(key).toBe('raw/profiles/acme/2026/11/25/p1.pprof.zst');
  });

  it.each([
    ['gzip', '.pprof.gz'],
    ['zstd', '.pprof.zst'],
    ['identity', '.pprof'],
  ] as const)('names a %s payload with the suffix %s', (encoding, suffix) => {
    expect(rawProfileKey('acme', receivedAt, 'p1', encoding).endsWith(`/p1${suffix}`)).toBe(true);
  });
});

describe('ingestProfile with an Idempotency-Key', () => {
  const withKey = (key: string, overrides: Partial<IngestProfileRequest> = {}) =>
    request({ idempotencyKey: key, ...overrides });

  it('gives a retry the profile id of the first attempt, so the consumer counts it once', async () => {
    const { deps } = setup();

    const first = await ingestProfile(deps, withKey('order-42-upload'));
    const retry = await ingestProfile(deps, withKey('order-42-upload'));

    expect(retry.profileId).toBe(first.profileId);
    expect(parseUuid(first.profileId)).toBe(first.profileId);
  });

  it('publishes the retry again: the first attempt may have failed before its envelope was out', async () => {
    const { deps, publisher } = setup();

    await ingestProfile(deps, withKey('k-1'));
    await ingestProfile(deps, withKey('k-1'));

    expect(publisher.messages.map((m) => m.key)).toEqual([
      idempotentProfileId('acme', 'k-1'),
      idempotentProfileId('acme', 'k-1'),
    ]);
  });

  it('gives different keys, and one key of two tenants, different profile ids', () => {
    const ids = [
      idempotentProfileId('acme', 'k-1'),
      idempotentProfileId('acme', 'k-2'),
      idempotentProfileId('globex', 'k-1'),
    ];

    expect(new Set(ids).size).toBe(3);
  });

  it('ignores the key when absent: every upload gets a new id', async () => {
    const { deps } = setup();
    let next = 0;
    deps.newId = () => `prof-${++next}`;

    const ids = [(await ingestProfile(deps, request())).profileId, (await ingestProfile(deps, request())).profileId];

    expect(ids).toEqual(['prof-1', 'prof-2']);
  });

  it('refuses a key reused for another profile with 422, storing and publishing nothing', async () => {
    const { deps, store, publisher } = setup();
    await ingestProfile(deps, withKey('k-1'));
    const putsBefore = store.puts.length;

    const error = await expectHotspotsErrorAsync(() =>
      ingestProfile(deps, withKey('k-1', { body: gzipSync(buildCpuProfile({ samples: [] })) })),
    );

    expect([error.status, error.message]).toEqual([
      422,
      'this Idempotency-Key was used for an upload with other content or parameters: use a new key for a new profile',
    ]);
    expect([store.puts.length - putsBefore, publisher.messages.length]).toEqual([0, 1]);
  });

  it('accepts a keyed upload whose earlier receipt cannot be read (a 403 where S3 may not be listed)', async () => {
    const { deps, store, publisher } = setup();
    deps.rawStore = {
      ...store.store,
      get: async () => Promise.reject(new HotspotsError('unavailable', 'Access Denied', { retriable: true })),
    };

    const accepted = await ingestProfile(deps, withKey('k-1'));

    expect([accepted.profileId, publisher.messages.length]).toEqual([idempotentProfileId('acme', 'k-1'), 1]);
  });

  it('refuses a key reused with other parameters (another service) with 422', async () => {
    const { deps } = setup();
    await ingestProfile(deps, withKey('k-1'));

    const error = await expectHotspotsErrorAsync(() =>
      ingestProfile(deps, withKey('k-1', { query: { service: 'billing' } })),
    );

    expect(error.status).toBe(422);
  });

  it.each([
    ['an empty key', '  ', 'Idempotency-Key is empty: send a unique key per upload, e.g. a UUID'],
    ['a key of 256 characters', 'k'.repeat(256), 'Idempotency-Key is 256 characters long, above the limit of 255'],
    [
      'a control character',
      'a\u0001b',
      'Idempotency-Key must be printable ASCII characters (no control or non-ASCII characters)',
    ],
    [
      'a non-ASCII character',
      'clé',
      'Idempotency-Key must be printable ASCII characters (no control or non-ASCII characters)',
    ],
  ])('refuses %s with 400 before storing anything', async (_what, key, message) => {
    const { deps, store, publisher } = setup();

    const error = await expectHotspotsErrorAsync(() => ingestProfile(deps, withKey(key)));

    expect([error.status, error.message]).toEqual([400, message]);
    expect([store.puts.length, publisher.messages.length]).toEqual([0, 0]);
  });
});

describe('parseIdempotencyKey', () => {
  it.each([
    ['a bare token', '8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['a Structured Field string (the draft form)', '"8e03978e-40d5"', '8e03978e-40d5'],
    ['escapes inside a Structured Field string', '"a\\"b\\\\c"', 'a"b\\c'],
    ['spaces around the value', '  k 1  ', 'k 1'],
    ['no header', undefined, undefined],
  ])('reads %s', (_what, header, key) => {
    expect(parseIdempotencyKey(header)).toBe(key);
  });

  it('keeps 255 characters', () => {
    expect(parseIdempotencyKey('k'.repeat(255))).toBe('k'.repeat(255));
  });
});
