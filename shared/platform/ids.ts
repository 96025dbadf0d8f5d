/**
 * 64-bit ids (span ids, local root span ids) as canonical decimal strings. They never pass through
 * a JS number: above 2^53 a double cannot hold them (Sentry lost fingerprints that way).
 */
const MAX_UINT64 = (1n << 64n) - 1n;
const decimalPattern = /^\d{1,20}$/;
const hexPattern = /^[0-9a-fA-F]{1,16}$/;

const MAX_UINT64_TEXT = MAX_UINT64.toString();

/**
 * Digits only, no leading zero, and at most uint64's maximum: already canonical. The profile
 * decoder parses a span id per label set, so this is checked without a regex or a bigint.
 */
function isCanonicalDecimalUint64(text: string): boolean {
  const length = text.length;
  if (length === 0 || length > 20 || (length > 1 && text.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return length < 20 || text <= MAX_UINT64_TEXT;
}

/** Parses a decimal uint64; undefined when it isn't one. */
export function parseDecimalUint64(text: string): string | undefined {
  if (isCanonicalDecimalUint64(text)) return text;
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
 * Label values under keys whose producer writes fixed-width hex (otel-profiling-go's `span_id`):
 * exactly 16 characters are read as hex, anything else as decimal.
 */
export function parseFixedWidthSpanId(text: string): string | undefined {
  if (text.length === 16 && hexPattern.test(text)) return parseHexUint64(text);
  return parseDecimalUint64(text);
}

/**
 * Ids in URLs: decimal (Datadog) or 16 hex digits (OpenTelemetry). An all-digit id is ambiguous
 * only at exactly 16 characters; decimal ids never start with 0 while fixed-width hex often does,
 * so 16 characters are hex when they hold a-f or a leading zero (or carry a 0x prefix), else
 * decimal — a 2^53-sized Datadog id like 9007199254740993 stays decimal.
 */
export function parseSpanId(text: string): string | undefined {
  if (/^0x[0-9a-fA-F]{1,16}$/.test(text)) return parseHexUint64(text.slice(2));
  if (text.length === 16 && hexPattern.test(text) && (/[a-fA-F]/.test(text) || text.startsWith('0'))) {
    return parseHexUint64(text);
  }
  return parseDecimalUint64(text);
}
