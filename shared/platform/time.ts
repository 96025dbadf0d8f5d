import { badRequest } from './errors.js';

/**
 * Times in the API are RFC 3339 or unix seconds (integer or fractional). Returns unix seconds.
 * `end` from dd-trace-go carries a local offset (`…+02:00`); Date.parse honours it.
 */
export function parseTime(text: string, name: string): number {
  const trimmed = text.trim();
  if (/^\d{1,12}(\.\d+)?$/.test(trimmed)) return Number(trimmed);
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
    if (valid && Number.isFinite(ms)) return ms / 1000;
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
