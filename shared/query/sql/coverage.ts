import { storedSampleTypeNames } from '../../platform/measure-names.js';
import type { SqlDatabase } from '../../platform/ports.js';
import { sql, stringSet } from '../../platform/sql.js';
import { MAX_DATETIME_SECONDS } from '../../platform/time.js';
import { type Measure, measureOfSampleType, sortMeasures } from '../measures.js';

/**
 * Whether profiles of a measure covered a time window: "not profiled" is not "0 ms of CPU" (nor
 * of wall or lock wait). Windows come from the profiles' own time_nanos/duration_nanos
 * (dd-trace-go's event window can differ), with the sample types each profile holds.
 */
export interface ProfileWindow {
  service: string;
  runtimeId: string;
  startNs: bigint;
  endNs: bigint;
  periodNs: bigint;
  /** The measures the profile's rows are stored under, as `type/unit` (from profiles.sample_types). */
  sampleTypes: readonly string[];
}

/** Longest profile considered when looking for profiles that started before a window. */
export const MAX_PROFILE_SECONDS = 3600;

/** The windows of every profile of the services that may overlap [fromNs, toNs). */
export async function profileWindows(
  db: SqlDatabase,
  tenant: string,
  services: readonly string[],
  fromNs: bigint,
  toNs: bigint,
): Promise<ProfileWindow[]> {
  if (services.length === 0) return [];
  // Both bounds inside DateTime's range: past 2106-02-07 a span's end (a start within range plus
  // any duration) would wrap to 1970 in ClickHouse 18.16's toDateTime and saturate in current
  // versions, and the two would find different profiles.
  const fromSec = Math.max(0, Number(fromNs / 1_000_000_000n) - MAX_PROFILE_SECONDS);
  const lastSec = Math.min(Number(toNs / 1_000_000_000n), MAX_DATETIME_SECONDS);
  const rows = await db.query<{
    service: string;
    runtime_id: string;
    start_ns: string;
    duration_ns: string;
    period: string;
    sample_types: string[];
  }>(
    sql`SELECT service, runtime_id, start_ns, duration_ns, period, sample_types
      FROM profiles
      WHERE tenant = ${tenant} AND service IN ${stringSet(services)}
        AND start >= toDateTime(${fromSec}) AND start <= toDateTime(${lastSec})
      LIMIT 1 BY profile_id`,
  );
  return rows.map((r) => ({
    service: r.service,
    runtimeId: r.runtime_id,
    startNs: BigInt(r.start_ns),
    endNs: BigInt(r.start_ns) + BigInt(r.duration_ns),
    periodNs: BigInt(r.period),
    sampleTypes: storedSampleTypeNames(r.sample_types),
  }));
}

/** The windows of profiles holding a measure. */
export function windowsOf(windows: readonly ProfileWindow[], measure: Measure): ProfileWindow[] {
  const name = `${measure.type}/${measure.unit}`;
  return windows.filter((w) => w.sampleTypes.includes(name));
}

/** Fraction of [startNs, endNs) covered by the union of the windows (0..1). */
export function coverage(
  windows: readonly { startNs: bigint; endNs: bigint }[],
  startNs: bigint,
  endNs: bigint,
): number {
  if (endNs <= startNs) {
    return windows.some((w) => w.startNs <= startNs && w.endNs >= startNs) ? 1 : 0;
  }
  const clipped = windows
    .map((w) => ({ s: w.startNs > startNs ? w.startNs : startNs, e: w.endNs < endNs ? w.endNs : endNs }))
    .filter((w) => w.e > w.s)
    .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  let covered = 0n;
  let cursor = startNs;
  for (const w of clipped) {
    const s = w.s > cursor ? w.s : cursor;
    if (w.e > s) {
      covered += w.e - s;
      cursor = w.e;
    }
  }
  return Number((covered * 1_000_000n) / (endNs - startNs)) / 1_000_000;
}

export interface Profiled {
  profiled: boolean;
  profile_coverage: number;
  sampling_period_ns: bigint | null;
}

export interface CoveredSpan {
  service: string;
  runtimeId: string;
  startNs: bigint;
  durationNs: bigint;
}

/** The windows of the span's service (and its process, when known). */
function windowsOfSpan(windows: readonly ProfileWindow[], span: CoveredSpan): ProfileWindow[] {
  return windows.filter(
    (w) =>
      w.service === span.service && (span.runtimeId === '' || w.runtimeId === '' || w.runtimeId === span.runtimeId),
  );
}

/** The measures of the profiles that cover some of a span. */
export function spanMeasures(windows: readonly ProfileWindow[], span: CoveredSpan): Measure[] {
  const covering = windowsOfSpan(windows, span).filter(
    (w) => coverage([w], span.startNs, span.startNs + span.durationNs) > 0,
  );
  return sortMeasures(covering.flatMap((w) => w.sampleTypes.map(measureOfSampleType)));
}

/** Coverage of one span by the given profiles of its service (and its process, when known). */
export function profiledState(windows: readonly ProfileWindow[], span: CoveredSpan): Profiled {
  const mine = windowsOfSpan(windows, span);
  const fraction = coverage(mine, span.startNs, span.startNs + span.durationNs);
  return {
    profiled: fraction > 0,
    profile_coverage: fraction,
    sampling_period_ns: mine.find((w) => w.periodNs > 0n)?.periodNs ?? null,
  };
}
