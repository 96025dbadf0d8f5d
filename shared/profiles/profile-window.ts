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
