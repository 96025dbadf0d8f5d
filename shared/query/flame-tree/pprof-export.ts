import { gzipSync } from 'node:zlib';
import {
  Label,
  Line,
  Location,
  Function as PprofFunction,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import type { ResolvedStack } from '../sql/stacks.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * A value as int64 parts that add up to it. Sample values are int64 in profile.proto, and a
 * stack's CPU summed over a long window can pass 2^63 ns; pprof adds up samples of the same
 * stack, so several samples carry it exactly.
 */
export function int64Parts(value: bigint): bigint[] {
  const parts: bigint[] = [];
  let rest = value;
  for (; rest > INT64_MAX; rest -= INT64_MAX) parts.push(INT64_MAX);
  for (; rest < INT64_MIN; rest -= INT64_MIN) parts.push(INT64_MIN);
  parts.push(rest);
  return parts;
}

export interface PprofExportOptions {
  remainderNs?: bigint;
  startNs?: bigint;
  durationNs?: bigint;
  periodNs?: bigint;
  sampleType?: { type: string; unit: string };
  diffBase?: DiffBase;
}

/**
 * A diff base: stacks written negated and labelled `pprof::base=true`, which is the profile
 * `go tool pprof -diff_base base.pb.gz this.pb.gz` builds in memory (it scales the base by -1,
 * labels it so and merges): opening such a file alone gives the same report, totals included
 * (pprof's total is then the base's).
 */
export interface DiffBase {
  stacks: readonly ResolvedStack[];
  remainderNs?: bigint;
}

/**
 * Encodes resolved stacks as a gzipped pprof (google/pprof profile.proto) with one sample type,
 * the measure's (cpu/nanoseconds unless told), that `go tool pprof` opens; its total equals the
 * JSON flame graph's. Only CPU has a sampling period (10 ms unless told); other measures give 0.
 */
export function stacksToPprof(stacks: readonly ResolvedStack[], options: PprofExportOptions = {}): Buffer {
  return gzipSync(encodePprof(stacks, options));
}

/** The same profile, not gzipped (a google.v1.Profile message as the Pyroscope API answers it). */
export function encodePprof(stacks: readonly ResolvedStack[], options: PprofExportOptions = {}): Uint8Array {
  const sampleType = options.sampleType ?? { type: 'cpu', unit: 'nanoseconds' };
  const isCpu = sampleType.type === 'cpu' && sampleType.unit === 'nanoseconds';
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
  const samples: Sample[] = [];
  const add = (locationId: number[], value: bigint, label: Label[]) => {
    for (const part of int64Parts(value)) samples.push(new Sample({ locationId, value: [part], label }));
  };
  const addAll = (all: readonly ResolvedStack[], remainderNs: bigint | undefined, sign: bigint, label: Label[]) => {
    for (const s of all.filter((stack) => stack.value !== 0n)) {
      add(
        s.frames.map((f) => locationOf(f.functionName, f.fileName, f.line)),
        sign * s.value,
        label,
      );
    }
    if (remainderNs !== undefined && remainderNs !== 0n) {
      add([locationOf('(other stacks)', '', 0)], sign * remainderNs, label);
    }
  };
  addAll(stacks, options.remainderNs, 1n, []);
  if (options.diffBase) {
    const base = [new Label({ key: strings.dedup('pprof::base'), str: strings.dedup('true') })];
    addAll(options.diffBase.stacks, options.diffBase.remainderNs, -1n, base);
  }
  const profile = new Profile({
    sampleType: [new ValueType({ type: strings.dedup(sampleType.type), unit: strings.dedup(sampleType.unit) })],
    sample: samples,
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    timeNanos: options.startNs ?? 0n,
    durationNanos: options.durationNs ?? 0n,
    periodType: new ValueType({ type: strings.dedup(sampleType.type), unit: strings.dedup(sampleType.unit) }),
    period: options.periodNs ?? (isCpu ? 10_000_000n : 0n),
  });
  return profile.encode();
}
