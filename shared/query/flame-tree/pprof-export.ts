import { gzipSync } from 'node:zlib';
import { Line, Location, Function as PprofFunction, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import type { ResolvedStack } from '../sql/stacks.js';

/**
 * Encodes resolved stacks as a gzipped pprof (google/pprof profile.proto) with one sample type,
 * cpu/nanoseconds, that `go tool pprof` opens; its total equals the JSON flame graph's.
 */
export function stacksToPprof(
  stacks: readonly ResolvedStack[],
  options: { remainderNs?: bigint; startNs?: bigint; durationNs?: bigint; periodNs?: bigint } = {},
): Buffer {
  const strings = new StringTable();
  const functions = new Map<string, PprofFunction>();
  const locations = new Map<string, Location>();
  const locationOf = (functionName: string, fileName: string, line: number): number => {
    const key = `${functionName}\u0000${fileName}\u0000${line}`;
    const existing = locations.get(key);
    if (existing) return Number(existing.id);
    const fnKey = `${functionName}\u0000${fileName}`;
    let fn = functions.get(fnKey);
    if (!fn) {
      fn = new PprofFunction({
        id: functions.size + 1,
        name: strings.dedup(functionName),
        systemName: strings.dedup(functionName),
        filename: strings.dedup(fileName),
      });
      functions.set(fnKey, fn);
    }
    const location = new Location({ id: locations.size + 1, line: [new Line({ functionId: fn.id, line })] });
    locations.set(key, location);
    return Number(location.id);
  };
  const samples = stacks
    .filter((s) => s.value !== 0n)
    .map(
      (s) =>
        new Sample({
          locationId: s.frames.map((f) => locationOf(f.functionName, f.fileName, f.line)),
          value: [s.value],
        }),
    );
  if (options.remainderNs !== undefined && options.remainderNs !== 0n) {
    samples.push(new Sample({ locationId: [locationOf('(other stacks)', '', 0)], value: [options.remainderNs] }));
  }
  const profile = new Profile({
    sampleType: [new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') })],
    sample: samples,
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    timeNanos: options.startNs ?? 0n,
    durationNanos: options.durationNs ?? 0n,
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: options.periodNs ?? 10_000_000n,
  });
  return gzipSync(profile.encode());
}
