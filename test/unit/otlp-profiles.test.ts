import { gzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { encodeProfilesResponse, ingestOtlpProfiles, otlpBodyFormat } from '../../shared/agents/otlp-profiles.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { parseEnvelope } from '../../shared/profiles/envelope.js';
import { decodeProfilesRequest } from '../../shared/profiles/otlp/otlp-request.js';
import { ExportProfilesServiceRequest, ExportProfilesServiceResponse } from '../../shared/profiles/otlp/otlp-schema.js';
import { otlpProfileToPprof, resourceIdentity } from '../../shared/profiles/otlp/to-pprof.js';
import { buildRealisticProfile } from '../bench/realistic-profile.js';
import { explodeProfileCompact, materialiseSampleRows } from '../support/decoders.js';
import { otlpRequestFromPprof } from '../support/otlp-from-pprof.js';

/**
 * The OTLP profiles converter on requests built field by field: what each OTLP rule (string table
 * references, links, counted timestamps, inlined lines, the zero entries) becomes in the pprof the
 * decoder reads, and the reason a malformed profile is refused with.
 */
const limits = { maxSamplesPerProfile: 1000, maxLabelsPerSample: 64 };
const at0 = { resource: 0, scope: 0, profile: 0 };

type Req = Record<string, unknown>;

/** A request with one resource and one profile; `service.name` through the string table. */
function request(profile: Req, dictionary: Partial<Record<string, unknown[]>> = {}): Req {
  const stringTable = [
    '', // 0
    'service.name', // 1
    'checkout', // 2
    'cpu', // 3
    'nanoseconds', // 4
    'samples', // 5
    'count', // 6
    'main.leaf', // 7
    'main.inlined', // 8
    'main.caller', // 9
    'main.go', // 10
    'trace endpoint', // 11
    'GET /cart', // 12
    'local root span', // 13 (eBPF: "local root span id" cut to 15 bytes)
    'thread id', // 14
    'span id', // 15
    'service.name', // 16 (also a sample attribute key, as the eBPF profiler sends it)
  ];
  return {
    resourceProfiles: [
      {
        resource: { attributes: [{ keyStrindex: 1, value: { stringValueStrindex: 2 } }] },
        scopeProfiles: [{ profiles: [profile] }],
      },
    ],
    dictionary: {
      stringTable,
      functionTable: [{}, { nameStrindex: 7, filenameStrindex: 10 }, { nameStrindex: 8 }, { nameStrindex: 9 }],
      mappingTable: [{}],
      // location 1: leaf with main.inlined inlined into it; location 2: the caller.
      locationTable: [
        {},
        {
          address: 4096,
          lines: [
            { functionIndex: 1, line: 10 },
            { functionIndex: 2, line: 20 },
          ],
        },
        { lines: [{ functionIndex: 3, line: 30 }] },
      ],
      stackTable: [{}, { locationIndices: [1, 2] }],
      attributeTable: [
        {},
        { keyStrindex: 11, value: { stringValueStrindex: 12 } },
        { keyStrindex: 13, value: { stringValue: '42' } },
        { keyStrindex: 14, value: { intValue: 7 } },
        { keyStrindex: 15, value: { stringValue: '5' } },
        { keyStrindex: 16, value: { stringValue: 'api' } },
        { keyStrindex: 16, value: { stringValueStrindex: 2 } },
      ],
      linkTable: [
        {},
        {
          traceId: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
          spanId: Buffer.from('ffffffffffffffc5', 'hex'),
        },
      ],
      ...dictionary,
    },
  };
}

const cpuProfile = (samples: Req[], extra: Req = {}): Req => ({
  sampleType: { typeStrindex: 3, unitStrindex: 4 },
  periodType: { typeStrindex: 3, unitStrindex: 4 },
  period: 10_000_000,
  timeUnixNano: '1765000000000000000',
  durationNano: 10_000_000_000,
  samples,
  ...extra,
});

const ebpfProfile = (samples: Req[]): Req =>
  cpuProfile(samples, { sampleType: { typeStrindex: 5, unitStrindex: 6 }, period: 50_000_000 });

function encode(req: Req): Uint8Array {
  return ExportProfilesServiceRequest.encode(ExportProfilesServiceRequest.fromObject(req)).finish();
}

function convert(req: Req) {
  const converted = otlpProfileToPprof(decodeProfilesRequest(encode(req), 'protobuf'), at0, limits);
  return { ...converted, profile: Profile.decode(converted.pprof) };
}

function text(profile: Profile, index: number | bigint): string {
  return profile.stringTable.strings[Number(index)] as string;
}

function labelsOf(profile: Profile, sampleIndex: number): Record<string, string | bigint> {
  const sample = profile.sample[sampleIndex];
  return Object.fromEntries(
    (sample?.label ?? []).map((l) => [
      text(profile, l.key),
      Number(l.str) !== 0 ? text(profile, l.str) : BigInt(l.num),
    ]),
  );
}

function refusal(req: Req): string {
  try {
    convert(req);
  } catch (error) {
    expect(error).toBeInstanceOf(HotspotsError);
    expect((error as HotspotsError).retriable).toBe(false);
    return (error as Error).message;
  }
  throw new Error('expected the profile to be refused');
}

describe('an OTLP profile as a pprof', () => {
  it('keeps values, stacks leaf first with inlined lines, string-table attributes and the link', () => {
    const { profile, service } = convert(
      request(cpuProfile([{ stackIndex: 1, values: [30_000_000], attributeIndices: [1, 2, 3], linkIndex: 1 }])),
    );
    expect(service).toBe('checkout');
    expect(profile.sampleType.map((t) => `${text(profile, t.type)}/${text(profile, t.unit)}`)).toEqual([
      'cpu/nanoseconds',
    ]);
    expect(profile.sample[0]?.value.map(BigInt)).toEqual([30_000_000n]);
    expect(labelsOf(profile, 0)).toEqual({
      'trace endpoint': 'GET /cart',
      'local root span id': '42',
      'thread id': 7n,
      // 0xffffffffffffffc5 = 2^64 - 59, beyond int64 and float64: decimal as dd-trace-go labels it.
      'span id': '18446744073709551557',
      trace_id: '0102030405060708090a0b0c0d0e0f10',
    });
    const locations = new Map(profile.location.map((l) => [Number(l.id), l]));
    const functions = new Map(profile.function.map((f) => [Number(f.id), text(profile, f.name)]));
    const frames = (profile.sample[0]?.locationId ?? []).map((id) =>
      (locations.get(Number(id))?.line ?? []).map((line) => functions.get(Number(line.functionId))),
    );
    expect(frames).toEqual([['main.leaf', 'main.inlined'], ['main.caller']]);
    expect(BigInt(profile.timeNanos)).toBe(1765000000000000000n);
    expect(BigInt(profile.period)).toBe(10_000_000n);
  });

  it('counts timestamps when values are empty and derives cpu/nanoseconds = count × period', () => {
    const { profile } = convert(
      request(ebpfProfile([{ stackIndex: 1, timestampsUnixNano: ['1', '2', '3'], linkIndex: 1 }])),
    );
    expect(profile.sampleType.map((t) => `${text(profile, t.type)}/${text(profile, t.unit)}`)).toEqual([
      'samples/count',
      'cpu/nanoseconds',
    ]);
    expect(profile.sample[0]?.value.map(BigInt)).toEqual([3n, 150_000_000n]);
  });

  it('derives no CPU from a count profile whose scope also holds a cpu/nanoseconds profile', () => {
    const counted = ebpfProfile([{ stackIndex: 1, values: [3] }]);
    const req = request(counted);
    const scope = (req.resourceProfiles as { scopeProfiles: { profiles: Req[] }[] }[])[0]?.scopeProfiles[0];
    scope?.profiles.push(cpuProfile([{ stackIndex: 1, values: [150_000_000] }]));
    const decoded = decodeProfilesRequest(encode(req), 'protobuf');
    const types = (p: number) => {
      const profile = Profile.decode(otlpProfileToPprof(decoded, { ...at0, profile: p }, limits).pprof);
      return profile.sampleType.map((t) => `${text(profile, t.type)}/${text(profile, t.unit)}`);
    };
    expect([types(0), types(1)]).toEqual([['samples/count'], ['cpu/nanoseconds']]);
  });

  it('sums per-observation values paired with timestamps', () => {
    const { profile } = convert(
      request(cpuProfile([{ stackIndex: 1, values: [2, 2, 3, 3], timestampsUnixNano: ['1', '2', '3', '4'] }])),
    );
    expect(profile.sample[0]?.value.map(BigInt)).toEqual([10n]);
  });

  it('takes span ids from attributes, lets a link win over them, and reads link_index 0 as no link', () => {
    const both = request(
      cpuProfile([
        { stackIndex: 1, values: [5], attributeIndices: [1, 4], linkIndex: 0 },
        { stackIndex: 1, values: [5], attributeIndices: [4], linkIndex: 1 },
      ]),
    );
    const { profile } = convert(both);
    expect(labelsOf(profile, 0)).toEqual({ 'trace endpoint': 'GET /cart', 'span id': '5' });
    expect(labelsOf(profile, 1)['span id']).toBe('18446744073709551557');
  });

  it('reads service.name given inline too, and answers the same through JSON with hex ids', () => {
    const req = request(cpuProfile([{ stackIndex: 1, values: [5], linkIndex: 1 }]));
    (req.resourceProfiles as Req[])[0] = {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'inline' } }] },
      scopeProfiles: [{ profiles: [cpuProfile([{ stackIndex: 1, values: [5], linkIndex: 1 }])] }],
    };
    const json = JSON.parse(
      JSON.stringify(req, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)),
    );
    const decoded = decodeProfilesRequest(Buffer.from(JSON.stringify(json)), 'json');
    expect(resourceIdentity(decoded, 0).service).toBe('inline');
    const viaJson = Profile.decode(otlpProfileToPprof(decoded, at0, limits).pprof);
    expect(labelsOf(viaJson, 0)['span id']).toBe('18446744073709551557');
  });
});

/** A request whose resource has one attribute: an AnyValue of arrays nested `depth` levels deep. */
function deepProtobufAttribute(depth: number): Uint8Array {
  const varintLength = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4);
  // From the innermost out: AnyValue{array_value: ArrayValue{values: [inner]}}, two fields a level.
  const sizes: number[] = [0];
  for (let i = 0; i < 2 * depth; i += 1) {
    const inner = sizes[i] as number;
    sizes.push(1 + varintLength(inner) + inner);
  }
  const fields: [number, number][] = []; // outermost first: [tag byte, length]
  for (let i = 2 * depth; i > 0; i -= 1) fields.push([i % 2 === 0 ? 0x2a : 0x0a, sizes[i - 1] as number]);
  const anyValue = new Uint8Array(sizes[2 * depth] as number);
  let at = 0;
  for (const [tag, length] of fields) {
    anyValue[at++] = tag;
    let n = length;
    while (n >= 0x80) {
      anyValue[at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    anyValue[at++] = n;
  }
  const wrap = (tag: number, body: Uint8Array) => {
    const prefix: number[] = [tag];
    let n = body.length;
    while (n >= 0x80) {
      prefix.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    prefix.push(n);
    return Buffer.concat([Buffer.from(prefix), body]);
  };
  // KeyValue{key: "k", value} → Resource{attributes} → ResourceProfiles{resource} → request.
  const keyValue = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b]), wrap(0x12, anyValue)]);
  return wrap(0x0a, wrap(0x0a, wrap(0x0a, keyValue)));
}

describe('malformed OTLP profiles are refused with the reason', () => {
  const cases: [string, Req, RegExp][] = [
    ['a stack index past the table', request(cpuProfile([{ stackIndex: 9, values: [1] }])), /stack_index 9 is outside/],
    [
      'a location index past the table',
      request(cpuProfile([{ stackIndex: 1, values: [1] }]), { stackTable: [{}, { locationIndices: [1, 77] }] }),
      /location index 77 is outside/,
    ],
    [
      'a function index past the table',
      request(cpuProfile([{ stackIndex: 1, values: [1] }]), {
        locationTable: [{}, { lines: [{ functionIndex: 12 }] }],
        stackTable: [{}, { locationIndices: [1] }],
      }),
      /function_index 12 is outside/,
    ],
    [
      'a string index past the table',
      request(cpuProfile([{ stackIndex: 1, values: [1], attributeIndices: [1] }]), {
        attributeTable: [{}, { keyStrindex: 500, value: { stringValue: 'x' } }],
      }),
      /key_strindex \(string index\) 500 is outside/,
    ],
    [
      'a negative attribute index',
      request(cpuProfile([{ stackIndex: 1, values: [1], attributeIndices: [-1] }])),
      /attribute index -1/,
    ],
    [
      'a link index past the table',
      request(cpuProfile([{ stackIndex: 1, values: [1], linkIndex: 5 }])),
      /link_index 5/,
    ],
    [
      'a span id of 7 bytes',
      request(cpuProfile([{ stackIndex: 1, values: [1], linkIndex: 1 }]), {
        linkTable: [{}, { spanId: Buffer.alloc(7, 1) }],
      }),
      /span_id has 7 bytes/,
    ],
    [
      'values and timestamps that do not pair up',
      request(cpuProfile([{ stackIndex: 1, values: [1, 2], timestampsUnixNano: ['1'] }])),
      /2 values but 1 timestamps/,
    ],
    [
      'values summing beyond int64',
      request(cpuProfile([{ stackIndex: 1, values: ['9223372036854775807', '1'] }])),
      /outside int64/,
    ],
    [
      'an absurd count × period',
      request(
        cpuProfile([{ stackIndex: 1, values: ['922337203685477580'] }], {
          sampleType: { typeStrindex: 5, unitStrindex: 6 },
          period: 100,
        }),
      ),
      /beyond int64/,
    ],
    [
      'more samples than the limit',
      request(cpuProfile(Array.from({ length: 1001 }, () => ({ stackIndex: 1, values: [1] })))),
      /1001 samples, above the limit of 1000/,
    ],
  ];
  for (const [what, req, reason] of cases) {
    it(`refuses ${what}`, () => {
      expect(refusal(req)).toMatch(reason);
    });
  }

  it('refuses a body that is not a request, and nesting too deep to decode (JSON and protobuf), as 400', () => {
    const bad = (body: Uint8Array, format: 'protobuf' | 'json') => {
      try {
        decodeProfilesRequest(body, format);
      } catch (error) {
        return (error as HotspotsError).code;
      }
      return 'accepted';
    };
    expect(bad(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'protobuf')).toBe('bad_request');
    expect(bad(Buffer.from('{"resourceProfiles": 3}'), 'json')).toBe('bad_request');
    expect(bad(Buffer.from('{"dictionary":{"linkTable":[{"spanId":"zz"}]}}'), 'json')).toBe('bad_request');
    // An attribute value nested 200,000 levels deep (3 bytes a level).
    const nested = `${'{"arrayValue":{"values":['.repeat(200_000)}${']}}'.repeat(200_000)}`;
    const deep = `{"resourceProfiles":[{"resource":{"attributes":[{"key":"k","value":${nested}}]}}]}`;
    expect(bad(Buffer.from(deep), 'json')).toBe('bad_request');
    expect(bad(deepProtobufAttribute(200_000), 'protobuf')).toBe('bad_request');
  });
});

describe('the intake', () => {
  const stored = new Map<string, Uint8Array>();
  const published: { topic: string; key: string; value: Buffer }[] = [];
  const deps = {
    rawStore: {
      put: async (key: string, body: Uint8Array) => {
        stored.set(key, body);
      },
      get: async (key: string) => stored.get(key) as Uint8Array,
    },
    publisher: {
      publish: async (topic: string, key: string, value: Buffer) => {
        published.push({ topic, key, value });
      },
    },
    profilesTopic: 'profiles',
    rawBucket: 'raw',
    now: () => new Date('2026-12-08T00:00:00Z'),
    maxBodyBytes: 1024 * 1024,
    maxDecompressedBytes: 4 * 1024 * 1024,
    maxProfiles: 3,
  } as unknown as Parameters<typeof ingestOtlpProfiles>[0];

  it('stores the request once and publishes one envelope per profile, with ids stable across retries', async () => {
    const req = request(cpuProfile([{ stackIndex: 1, values: [5] }]));
    (req.resourceProfiles as Req[]).push({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'billing' } }] },
      scopeProfiles: [
        {
          profiles: [
            cpuProfile([{ stackIndex: 1, values: [1] }]),
            cpuProfile([]), // empty: skipped
            cpuProfile([{ stackIndex: 1, values: [2] }]),
          ],
        },
      ],
    });
    const body = gzipSync(encode(req));
    const call = () =>
      ingestOtlpProfiles(deps, {
        tenant: 't1',
        contentType: 'application/x-protobuf',
        contentEncoding: 'gzip',
        body,
      });
    const first = await call();
    const again = await call();
    expect(again).toEqual(first);
    expect(first.profiles.map((p) => p.service)).toEqual(['checkout', 'billing', 'billing']);
    expect(new Set(first.profiles.map((p) => p.profileId)).size).toBe(3);
    const envelopes = published.slice(0, 3).map((p) => parseEnvelope(p.value));
    expect(envelopes.map((e) => e.otlp)).toEqual([
      { body: 'protobuf', resource: 0, scope: 0, profile: 0 },
      { body: 'protobuf', resource: 1, scope: 0, profile: 0 },
      { body: 'protobuf', resource: 1, scope: 0, profile: 2 },
    ]);
    expect(new Set(envelopes.map((e) => e.s3.key)).size).toBe(1);
    expect(envelopes[0]?.encoding).toBe('gzip');
  });

  it('refuses a request of more profiles than the limit whole, with 413', async () => {
    const req = request(cpuProfile([{ stackIndex: 1, values: [5] }]));
    const scope = (req.resourceProfiles as { scopeProfiles: { profiles: Req[] }[] }[])[0]?.scopeProfiles[0];
    scope?.profiles.push(...Array.from({ length: 3 }, () => cpuProfile([{ stackIndex: 1, values: [1] }])));
    const before = published.length;
    await expect(
      ingestOtlpProfiles(deps, {
        tenant: 't1',
        contentType: 'application/x-protobuf',
        contentEncoding: undefined,
        body: encode(req),
      }),
    ).rejects.toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('4 profiles') });
    expect(published.length).toBe(before);
  });

  it('refuses too big (413), a wrong media type (415) and a body that is not gzip as declared (400)', async () => {
    const code = async (request: Partial<Parameters<typeof ingestOtlpProfiles>[1]>) => {
      try {
        await ingestOtlpProfiles(deps, {
          tenant: 't1',
          contentType: 'application/x-protobuf',
          contentEncoding: undefined,
          body: new Uint8Array(),
          ...request,
        });
      } catch (error) {
        return (error as HotspotsError).code;
      }
      return 'accepted';
    };
    expect(await code({ body: new Uint8Array(1024 * 1024 + 1) })).toBe('payload_too_large');
    expect(await code({ contentType: 'text/plain' })).toBe('unsupported_media_type');
    expect(await code({ contentEncoding: 'gzip', body: Buffer.from('plain') })).toBe('bad_request');
    expect(await code({ contentEncoding: 'br' })).toBe('unsupported_media_type');
    expect(await code({ developmentVersion: '2' })).toBe('bad_request');
    expect(await code({ developmentVersion: '1,1' })).toBe('bad_request');
    expect(otlpBodyFormat('application/json; charset=utf-8')).toBe('json');
  });

  it('splits a profile by sample-level service.name when its resource names none', async () => {
    const req = request(
      cpuProfile([
        { stackIndex: 1, values: [10], attributeIndices: [5] }, // api
        { stackIndex: 1, values: [20], attributeIndices: [1, 6] }, // checkout (through the string table)
        { stackIndex: 1, values: [40], attributeIndices: [5, 1] }, // api
        { stackIndex: 1, values: [80] }, // none
      ]),
    );
    const resource = (req.resourceProfiles as { resource: { attributes: unknown[] } }[])[0];
    if (resource) resource.resource.attributes = [];
    const before = published.length;
    const result = await ingestOtlpProfiles(deps, {
      tenant: 't1',
      contentType: 'application/x-protobuf',
      contentEncoding: undefined,
      body: encode(req),
    });
    const base = 'resource_profiles[0].scope_profiles[0].profiles[0]';
    expect(result.profiles.map((p) => [p.position, p.service])).toEqual([
      [`${base}[service.name="api"]`, 'api'],
      [`${base}[service.name="checkout"]`, 'checkout'],
      [`${base}[service.name=""]`, 'unknown_service'],
    ]);
    const refs = published.slice(before).map((p) => parseEnvelope(p.value).otlp);
    expect(refs.map((r) => r?.service)).toEqual(['api', 'checkout', '']);
    const decoded = decodeProfilesRequest(encode(req), 'protobuf');
    const totals = refs.map((ref) =>
      Profile.decode(otlpProfileToPprof(decoded, at0, limits, ref?.service).pprof).sample.map((x) =>
        Number(x.value[0]),
      ),
    );
    expect(totals).toEqual([[10, 40], [20], [80]]);
  });

  it('answers partial success naming the refused resource', async () => {
    const req = request(cpuProfile([{ stackIndex: 1, values: [5] }]));
    (req.resourceProfiles as Req[]).push({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad\u0001name' } }] },
      scopeProfiles: [{ profiles: [cpuProfile([{ stackIndex: 1, values: [5] }])] }],
    });
    const result = await ingestOtlpProfiles(deps, {
      tenant: 't1',
      contentType: 'application/x-protobuf',
      contentEncoding: undefined,
      body: encode(req),
    });
    expect(result.profiles).toHaveLength(1);
    expect(result.rejected).toBe(1);
    expect(result.rejectionMessage).toMatch(/resource_profiles\[1\].*control characters/);
    const answer = encodeProfilesResponse(result.rejected, result.rejectionMessage, 'protobuf');
    const decoded = ExportProfilesServiceResponse.toObject(ExportProfilesServiceResponse.decode(answer.body), {
      longs: String,
    });
    expect(decoded).toEqual({ partialSuccess: { rejectedProfiles: '1', errorMessage: result.rejectionMessage } });
    expect(JSON.parse(encodeProfilesResponse(0, '', 'json').body.toString())).toEqual({});
  });
});

describe('a realistic labelled CPU profile through OTLP', () => {
  it('explodes into the same CPU rows as the pprof it came from, in WebAssembly', () => {
    const pprof = buildRealisticProfile({ samples: 3000 });
    const request = decodeProfilesRequest(otlpRequestFromPprof(pprof, 'checkout'), 'protobuf');
    const converted = otlpProfileToPprof(request, at0, { maxSamplesPerProfile: 10_000, maxLabelsPerSample: 64 }).pprof;
    const context = {
      tenant: 't',
      service: 'checkout',
      env: '',
      version: '',
      profileId: 'p',
      ingestId: 'i',
      fallbackStartSeconds: 0,
    };
    const explodeLimits = {
      maxSamplesPerProfile: 10_000,
      maxLabelsPerSample: 64,
      maxLabelValueBytes: 4096,
      maxStackFrames: 10_000_000,
      maxRowsPerProfile: 10_000_000,
      maxProfileRecords: 10_000_000,
    };
    const rows = (bytes: Uint8Array) => {
      const decoded = explodeProfileCompact(bytes, context, defaultLabelMapping, explodeLimits);
      expect(decoded.decodedBy.decoder).toBe('wasm');
      return materialiseSampleRows(decoded, context)
        .filter((r) => r.sample_type === 'cpu')
        .map((r) => [r.stack_id, r.span_id, r.local_root_span_id, r.endpoint, String(r.value)].join('|'))
        .sort();
    };
    const original = rows(pprof);
    expect(original.length).toBeGreaterThan(2000);
    expect(rows(converted)).toEqual(original);
  });
});
