/**
 * 64-bit ids (span ids, local root span ids) as canonical decimal strings. They never pass through
 * a JS number: above 2^53 a double cannot hold them (Sentry lost fingerprints that way).
 */
const MAX_UINT64 = (1n << 64n) - 1n;
const decimalPattern = /^\d{1,20}$/;
const hexPattern = /^[0-9a-fA-F]{1,16}$/;

/** Parses a decimal uint64; undefined when it isn't one. */
export function parseDecimalUint64(text: string): string | undefined {
  if (!decimalPattern.test(text)) return undefined;
  const value = BigInt(text);
  return value > MAX_UINT64 ? undefined : value.toString();
}

/** Parses up to 16 hex digits (OpenTelemetry/Pyroscope span ids) into decimal. */
export function parseHexUint64(text: string): string | undefined {
  if (!hexPattern.test(text)) return undefined;
  return BigInt(`0x${text}`).toString();
}

/**
 * Accepts what the API contract allows for ids in URLs: decimal, or exactly 16 hex digits (the
 * fixed-width form OpenTelemetry uses). A 16-character all-digit id is read as hex, per that form.
 */
export function parseSpanId(text: string): string | undefined {
  if (text.length === 16 && hexPattern.test(text)) return parseHexUint64(text);
  return parseDecimalUint64(text);
}
