/**
 * A profile's duration for its commit row, which says what time its samples cover (a span inside
 * that window without samples was on CPU for 0 ns; outside it, it was not profiled). pprof's
 * duration_nanos is optional: without it, the window the agent declared with the upload
 * (Datadog's event start/end, Pyroscope's from/until, /v1/profiles' start/end) stands in.
 */
export function profileDurationNs(
  profile: { durationNs: bigint },
  declared: { start: number | null; end: number | null },
): bigint {
  if (profile.durationNs > 0n) return profile.durationNs;
  const { start, end } = declared;
  if (start === null || end === null || end <= start) return profile.durationNs;
  return BigInt(Math.round((end - start) * 1e9));
}

/**
 * A profile's start. pprof's time_nanos is when a profile starts, but @datadog/pprof (the wall
 * profile of dd-trace-js) writes the time it serialised the profile: the end of its window, a
 * whole period late, which would leave the first period's spans "not profiled". When the agent
 * declared a window and time_nanos sits nearer its end than its start, and time_nanos −
 * duration_nanos nearer its start, that difference is the start.
 */
export function profileStartNs(
  profile: { startNs: bigint; durationNs: bigint },
  declared: { start: number | null; end: number | null },
): bigint {
  const { start, end } = declared;
  if (start === null || end === null || end <= start || profile.durationNs <= 0n) return profile.startNs;
  const seconds = (ns: bigint) => Number(ns) / 1e9;
  const fromStart = Math.abs(seconds(profile.startNs) - start);
  if (Math.abs(seconds(profile.startNs) - end) >= fromStart) return profile.startNs;
  const shifted = profile.startNs - profile.durationNs;
  return Math.abs(seconds(shifted) - start) < fromStart ? shifted : profile.startNs;
}

/** The decoded profile dated by profileStartNs (its rows' `ts` too). */
export function withProfileStart<P extends { startNs: bigint; durationNs: bigint; compact: { ts: number } }>(
  profile: P,
  declared: { start: number | null; end: number | null },
): P {
  const startNs = profileStartNs(profile, declared);
  if (startNs === profile.startNs) return profile;
  return { ...profile, startNs, compact: { ...profile.compact, ts: Number(startNs / 1_000_000_000n) } };
}
