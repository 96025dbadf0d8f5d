import { unprocessable } from '../platform/errors.js';
import type { RawPayloadStore } from '../platform/ports.js';
import type { ProfileEnvelope } from './envelope.js';

/**
 * Hits per endpoint over an agent upload's window (Datadog `endpoint_counts`). They travel as an
 * S3 object beside the raw profile, never inside the envelope: 10,000 entries (the documented
 * maximum) of 110-character names are ~1.3 MB of JSON, above Kafka's 1 MB max.message.bytes, so an
 * envelope carrying them would be refused by the broker whatever the retry. The envelope names the
 * object (`endpoint_counts_key`); envelopes written before carried the counts inline and are read
 * as they are.
 */
export type EndpointCounts = Record<string, number>;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export function isEndpointCounts(value: unknown): value is EndpointCounts {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every(isCount);
}

const tenantPrefix = (tenant: string) => `raw/endpoint-counts/${tenant}/`;

/** Key of an upload's counts: raw/endpoint-counts/<tenant>/<yyyy>/<mm>/<dd>/<upload id>.json. */
export function endpointCountsKey(tenant: string, receivedAt: Date, uploadId: string): string {
  const day = receivedAt.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${tenantPrefix(tenant)}${day}/${uploadId}.json`;
}

export function encodeEndpointCounts(counts: EndpointCounts): Buffer {
  return Buffer.from(JSON.stringify(counts), 'utf8');
}

/** The stored object → counts; anything else is poison (the record is dead-lettered, not retried). */
export function decodeEndpointCounts(bytes: Uint8Array, key: string): EndpointCounts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw unprocessable(`endpoint counts object ${key} is not valid JSON`, error);
  }
  if (!isEndpointCounts(parsed)) {
    throw unprocessable(`endpoint counts object ${key} must map endpoints to non-negative integers`);
  }
  return parsed;
}

/** The counts an envelope brings: from its S3 object, inline (older envelopes), or none. */
export async function endpointCountsOf(envelope: ProfileEnvelope, store: RawPayloadStore): Promise<EndpointCounts> {
  const key = envelope.endpoint_counts_key;
  if (key !== undefined) {
    // A replayed or hand-written envelope must not count another tenant's hits.
    if (!key.startsWith(tenantPrefix(envelope.tenant))) {
      throw unprocessable(`envelope field endpoint_counts_key is not under ${tenantPrefix(envelope.tenant)}`);
    }
    return decodeEndpointCounts(await store.get(key), key);
  }
  return envelope.endpoint_counts ?? {};
}
