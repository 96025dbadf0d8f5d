import { createHash } from 'node:crypto';

/**
 * Profile ids are UUIDs in their canonical text form (RFC 9562 §4): random ones (version 4) from
 * `POST /v1/profiles`, name-based ones (version 8 over SHA-256) where a retry must get the id of
 * the first attempt: agent uploads (shared/agents/store-upload.ts) and `Idempotency-Key` uploads.
 */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The canonical (lower-case) form of a UUID, or undefined when `text` is not one. */
export function parseUuid(text: string): string | undefined {
  return uuidPattern.test(text) ? text.toLowerCase() : undefined;
}

/**
 * A name-based UUID: RFC 9562 version 8 (custom) built from SHA-256 as its Appendix B.2 shows,
 * since version 5 is bound to SHA-1. The parts are hashed as a JSON array, so no two different
 * lists of parts hash the same text (`['a:b', 'c']` vs `['a', 'b:c']`).
 */
export function nameBasedUuid(parts: readonly string[]): string {
  const bytes = createHash('sha256').update(JSON.stringify(parts)).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
