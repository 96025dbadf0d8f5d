import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import type { RawPayloadStore } from '../../shared/platform/ports.js';
import {
  decodeEndpointCounts,
  encodeEndpointCounts,
  endpointCountsKey,
  endpointCountsOf,
} from '../../shared/profiles/endpoint-counts.js';
import { encodeEnvelope, type ProfileEnvelope, parseEnvelope } from '../../shared/profiles/envelope.js';
import { expectHotspotsError, expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';

/** A raw store holding `objects`; reading another key is a 404, as S3 answers. */
function storeOf(objects: Record<string, Uint8Array>): RawPayloadStore {
  return {
    async put() {},
    async get(key) {
      const bytes = objects[key];
      if (!bytes) throw new HotspotsError('not_found', `S3 object ${key} does not exist`);
      return bytes;
    },
    async ping() {},
  };
}

function envelope(overrides: Partial<ProfileEnvelope> = {}): ProfileEnvelope {
  return parseEnvelope(
    encodeEnvelope({
      v: 1,
      kind: 'profile',
      profile_id: 'p1',
      tenant: 'acme',
      service: 'checkout',
      env: 'prod',
      version: '1',
      tags: {},
      start: null,
      end: null,
      received_at: '2026-11-24T10:01:00.000Z',
      s3: { bucket: 'raw', key: 'raw/profiles/acme/2026/11/24/p1.pprof.gz' },
      bytes: 10,
      encoding: 'gzip',
      format: 'pprof',
      ...overrides,
    }),
  );
}

const key = endpointCountsKey('acme', new Date('2026-11-24T10:01:00Z'), 'u1');

describe('endpoint counts beside the envelope', () => {
  it('keys them by tenant, day and upload', () => {
    expect(key).toBe('raw/endpoint-counts/acme/2026/11/24/u1.json');
  });

  it('reads the counts of the object an envelope names', async () => {
    const counts = { 'GET /cart': 12, 'POST /orders': 0 };

    const read = await endpointCountsOf(
      envelope({ endpoint_counts_key: key }),
      storeOf({ [key]: encodeEndpointCounts(counts) }),
    );

    expect(read).toEqual(counts);
  });

  it('reads the inline counts of an envelope written before the object existed', async () => {
    const read = await endpointCountsOf(envelope({ endpoint_counts: { 'GET /a': 3 } }), storeOf({}));

    expect(read).toEqual({ 'GET /a': 3 });
  });

  it('reads no counts from an envelope that carries none', async () => {
    expect(await endpointCountsOf(envelope(), storeOf({}))).toEqual({});
  });

  it('refuses, as poison, an object key outside the envelope tenant’s prefix', async () => {
    const other = endpointCountsKey('other', new Date('2026-11-24T10:01:00Z'), 'u1');

    await expectHotspotsErrorAsync(
      () => endpointCountsOf(envelope({ endpoint_counts_key: other }), storeOf({ [other]: encodeEndpointCounts({}) })),
      { code: 'unprocessable', retriable: false, message: /raw\/endpoint-counts\/acme\// },
    );
  });

  it('passes on the store’s 404 for a missing object (dead-lettered, not retried)', async () => {
    await expectHotspotsErrorAsync(() => endpointCountsOf(envelope({ endpoint_counts_key: key }), storeOf({})), {
      code: 'not_found',
      retriable: false,
    });
  });

  it.each([
    ['not JSON', Buffer.from('{"GET /a": 3')],
    ['a list', Buffer.from('[1, 2]')],
    ['a negative count', Buffer.from('{"GET /a": -1}')],
    ['a fractional count', Buffer.from('{"GET /a": 1.5}')],
    ['a count as text', Buffer.from('{"GET /a": "3"}')],
  ])('refuses an object holding %s as unprocessable', (_what, bytes) => {
    expectHotspotsError(() => decodeEndpointCounts(bytes, key), {
      code: 'unprocessable',
      retriable: false,
      message: expect.stringContaining(key),
    });
  });

  it('refuses an envelope whose endpoint_counts_key is not a non-empty string', () => {
    const bytes = Buffer.from(
      JSON.stringify({ ...JSON.parse(encodeEnvelope(envelope()).toString()), endpoint_counts_key: 42 }),
    );

    expectHotspotsError(() => parseEnvelope(bytes), { code: 'unprocessable', message: /endpoint_counts_key/ });
  });
});
