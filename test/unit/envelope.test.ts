import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import { encodeEnvelope, type ProfileEnvelope, parseEnvelope } from '../../shared/profiles/envelope.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';

const RUNS = { numRuns: 200 };

function envelope(overrides: Partial<ProfileEnvelope> = {}): ProfileEnvelope {
  return {
    v: 1,
    kind: 'profile',
    profile_id: '01HZX3Q7D2',
    tenant: 'acme',
    service: 'checkout',
    env: 'prod',
    version: '1.2.3',
    tags: { region: 'eu-west-1', 'pod name': 'checkout-7f9c' },
    start: 1_795_514_400,
    end: 1_795_514_460.5,
    received_at: '2026-11-24T10:01:00.000Z',
    s3: { bucket: 'hotspots-raw', key: 'raw/profiles/acme/2026/11/24/01HZX3Q7D2.pprof.gz' },
    bytes: 12_345,
    encoding: 'gzip',
    format: 'pprof',
    ...overrides,
  };
}

/** The envelope as JSON, with one field replaced (or removed when the value is undefined). */
function bytesWith(path: string, value: unknown): Uint8Array {
  const json = JSON.parse(encodeEnvelope(envelope()).toString('utf8')) as Record<string, Record<string, unknown>>;
  const [outer, inner] = path.split('.') as [string, string | undefined];
  const target: Record<string, unknown> = inner === undefined ? json : (json[outer] as Record<string, unknown>);
  const key = inner ?? outer;
  if (value === undefined) delete target[key];
  else target[key] = value;
  return Buffer.from(JSON.stringify(json), 'utf8');
}

describe('encodeEnvelope and parseEnvelope', () => {
  it('round-trip an envelope unchanged', () => {
    const original = envelope();

    expect(parseEnvelope(encodeEnvelope(original))).toEqual(original);
  });

  it('round-trip an envelope without a declared window', () => {
    const original = envelope({ start: null, end: null, tags: {}, env: '', version: '', encoding: 'identity' });

    expect(parseEnvelope(encodeEnvelope(original))).toEqual(original);
  });

  it('round-trip names in any script, quotes and control characters included', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }),
        fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 40 }), {
          maxKeys: 5,
        }),
        (service, tags) => {
          const original = envelope({ service, tags: { ...tags } });

          expect(parseEnvelope(encodeEnvelope(original))).toEqual(original);
        },
      ),
      RUNS,
    );
  });

  it('encodes the envelope as UTF-8 JSON', () => {
    const bytes = encodeEnvelope(envelope({ service: 'café' }));

    expect(JSON.parse(bytes.toString('utf8')).service).toBe('café');
  });
});

describe('parseEnvelope refuses malformed envelopes', () => {
  const malformed: Array<[string, Uint8Array]> = [
    ['bytes that are not JSON', Buffer.from('{"v":1,', 'utf8')],
    ['an empty payload', new Uint8Array(0)],
    ['a JSON array', Buffer.from('[1,2]', 'utf8')],
    ['JSON null', Buffer.from('null', 'utf8')],
    ['a JSON string', Buffer.from('"profile"', 'utf8')],
    ['another version', bytesWith('v', 2)],
    ['a version given as text', bytesWith('v', '1')],
    ['another kind', bytesWith('kind', 'trace')],
    ['a missing s3 object', bytesWith('s3', undefined)],
    ['s3 given as text', bytesWith('s3', 's3://hotspots-raw/key')],
    ['an empty bucket', bytesWith('s3.bucket', '')],
    ['a missing object key', bytesWith('s3.key', undefined)],
    ['tags given as an array', bytesWith('tags', ['a:b'])],
    ['a tag value that is a number', bytesWith('tags', { a: 1 })],
    ['missing tags', bytesWith('tags', undefined)],
    ['an unknown encoding', bytesWith('encoding', 'brotli')],
    ['an encoding given as a number', bytesWith('encoding', 1)],
    ['an empty profile id', bytesWith('profile_id', '')],
    ['a profile id longer than 512 characters', bytesWith('profile_id', 'p'.repeat(513))],
    ['a missing tenant', bytesWith('tenant', undefined)],
    ['a service given as a number', bytesWith('service', 42)],
    ['env given as null', bytesWith('env', null)],
    ['a missing version', bytesWith('version', undefined)],
    ['a start given as text', bytesWith('start', '1795514400')],
    ['a missing end', bytesWith('end', undefined)],
    ['received_at given as a number', bytesWith('received_at', 1_795_514_400)],
    ['a fractional byte count', bytesWith('bytes', 1.5)],
    ['a byte count given as text', bytesWith('bytes', '12345')],
  ];

  it.each(malformed)('refuses %s as unprocessable and not retriable', (_what, bytes) => {
    expectHotspotsError(() => parseEnvelope(bytes), { code: 'unprocessable', retriable: false });
  });

  it('refuses a start that JSON reads as Infinity', () => {
    const text = encodeEnvelope(envelope()).toString('utf8').replace('"start":1795514400', '"start":1e999');

    expectHotspotsError(() => parseEnvelope(Buffer.from(text, 'utf8')), {
      code: 'unprocessable',
      message: 'envelope field start must be a number or null',
    });
  });

  it('names the offending field', () => {
    expect(() => parseEnvelope(bytesWith('service', ''))).toThrow(/field service/);
  });

  it('keeps the JSON syntax error as the cause', () => {
    const error = expectHotspotsError(() => parseEnvelope(Buffer.from('{', 'utf8')));

    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('parseEnvelope on arbitrary input', () => {
  it('throws nothing but HotspotsError for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseEnvelope(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(HotspotsError);
        }
      }),
      RUNS,
    );
  });

  it('throws nothing but HotspotsError for random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseEnvelope(Buffer.from(JSON.stringify(value), 'utf8'));
        } catch (error) {
          expect(error).toBeInstanceOf(HotspotsError);
        }
      }),
      RUNS,
    );
  });

  it('throws nothing but HotspotsError when any one field of a valid envelope is replaced', () => {
    const fields = Object.keys(envelope());

    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, value) => {
        try {
          parseEnvelope(bytesWith(field, value));
        } catch (error) {
          expect(error).toBeInstanceOf(HotspotsError);
        }
      }),
      RUNS,
    );
  });
});
