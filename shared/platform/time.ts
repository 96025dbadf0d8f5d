import { badRequest } from './errors.js';

/**
 * The instants a ClickHouse DateTime holds: a UInt32 of unix seconds, 1970-01-01T00:00:00Z to
 * 2106-02-07T06:28:15Z. ClickHouse 18.16 wraps values outside it and current versions clamp them,
 * so an upload dated outside would be dead-lettered by the consumer after its 202, and a query
 * window reaching past 2106 would wrap to 1970: both are refused where the time enters.
 */
export const MAX_DATETIME_SECONDS = 2 ** 32 - 1;

/** `seconds` when ClickHouse can store it; a 400 naming the parameter and the range otherwise. */
export function storableSeconds(seconds: number, name: string, text: string): number {
  if (seconds >= 0 && seconds <= MAX_DATETIME_SECONDS) return seconds;
  throw badRequest(
    `${name} ${JSON.stringify(text.slice(0, 64))} is outside 1970-01-01T00:00:00Z … 2106-02-07T06:28:15Z, the range ClickHouse can store`,
  );
}

/**
 * Times in the API are RFC 3339 or unix seconds (integer or fractional), within what ClickHouse
 * can store (storableSeconds). Returns unix seconds. `end` from dd-trace-go carries a local offset
 * (`…+02:00`); Date.parse honours it.
 */
export function parseTime(text: string, name: string): number {
  const trimmed = text.trim();
  if (/^\d{1,12}(\.\d+)?$/.test(trimmed)) return storableSeconds(Number(trimmed), name, text);
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i.exec(trimmed);
  if (parts) {
    const [year, month, day, hour, minute, second] = parts.slice(1).map((p) => Number(p ?? 0)) as number[];
    // Date.parse rolls impossible dates over (Feb 30 → Mar 2); refuse them instead.
    const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
    const valid =
      (month ?? 0) >= 1 &&
      (month ?? 0) <= 12 &&
      (day ?? 0) >= 1 &&
      (day ?? 0) <= daysInMonth &&
      (hour ?? 0) <= 23 &&
      (minute ?? 0) <= 59 &&
      (second ?? 0) <= 60;
    const ms = Date.parse(trimmed);
    if (valid && Number.isFinite(ms)) return storableSeconds(ms / 1000, name, text);
  }
  throw badRequest(
    `${name} must be RFC 3339 (2026-11-24T10:00:00Z) or unix seconds, got ${JSON.stringify(text.slice(0, 64))}`,
  );
}

export interface TimeRange {
  from: number;
  to: number;
}

/** A validated query window: from < to, both present, no wider than the configured maximum. */
export function parseTimeRange(
  params: { from?: string | undefined; to?: string | undefined },
  maxRangeSeconds: number,
): TimeRange {
  if (params.from === undefined || params.to === undefined) throw badRequest('from and to are required');
  const from = parseTime(params.from, 'from');
  const to = parseTime(params.to, 'to');
  if (!(from < to)) throw badRequest('from must be before to');
  if (to - from > maxRangeSeconds) {
    throw badRequest(`time range is ${Math.round(to - from)} s, wider than the limit of ${maxRangeSeconds} s`);
  }
  return { from, to };
}
