import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { stacksToPprof } from '../../shared/query/flame-tree/pprof-export.js';
import type { ResolvedFrame, ResolvedStack } from '../../shared/query/sql/stacks.js';

/** The export read back with pprof-format, the reference decoder: each sample as function names, leaf first. */
function decoded(bytes: Buffer) {
  const profile = Profile.decode(gunzipSync(bytes));
  const text = (index: number | bigint) => profile.stringTable.strings[Number(index)] ?? '';
  const functions = new Map(profile.function.map((f) => [Number(f.id), f]));
  const locations = new Map(profile.location.map((l) => [Number(l.id), l]));
  const frameOf = (locationId: number | bigint) => {
    const line = locations.get(Number(locationId))?.line[0];
    const fn = functions.get(Number(line?.functionId));
    return `${text(fn?.name ?? 0)} ${text(fn?.filename ?? 0)}:${Number(line?.line ?? 0)}`;
  };
  return {
    profile,
    text,
    samples: profile.sample.map((s) => ({ frames: s.locationId.map(frameOf), value: BigInt(s.value[0] ?? 0) })),
    total: profile.sample.reduce((sum, s) => sum + BigInt(s.value[0] ?? 0), 0n),
  };
}

const frame = (functionName: string, line = 1, fileName = 'main.go'): ResolvedFrame => ({
  functionName,
  fileName,
  line,
});

const stacks: ResolvedStack[] = [
  {
    value: 30_000_000n,
    frames: [frame('json.Marshal', 12, 'json.go'), frame('main.handle', 40), frame('main.main', 9)],
  },
  { value: 10_000_000n, frames: [frame('main.handle', 41), frame('main.main', 9)] },
];

describe('stacksToPprof', () => {
  it('writes every stack as a sample with its frames, leaf first, and its value', () => {
    const { samples } = decoded(stacksToPprof(stacks));

    expect(samples).toEqual([
      { frames: ['json.Marshal json.go:12', 'main.handle main.go:40', 'main.main main.go:9'], value: 30_000_000n },
      { frames: ['main.handle main.go:41', 'main.main main.go:9'], value: 10_000_000n },
    ]);
  });

  it('has the same total as the stacks plus the remainder, which it writes as one "(other stacks)" sample', () => {
    const { samples, total } = decoded(stacksToPprof(stacks, { remainderNs: 5_000_000n }));

    expect([total, samples.at(-1)]).toEqual([45_000_000n, { frames: ['(other stacks) :0'], value: 5_000_000n }]);
  });

  it('keeps totals beyond 2^53 nanoseconds exact', () => {
    const huge = 2n ** 60n + 3n;

    const { total } = decoded(stacksToPprof([{ value: huge, frames: [frame('main.main')] }], { remainderNs: 1n }));

    expect(total).toBe(huge + 1n);
  });

  it('leaves out stacks of zero and a zero remainder', () => {
    const { samples } = decoded(
      stacksToPprof([...stacks, { value: 0n, frames: [frame('main.idle')] }], { remainderNs: 0n }),
    );

    expect(samples.map((s) => s.frames[0])).toEqual(['json.Marshal json.go:12', 'main.handle main.go:41']);
  });

  it('shares one location per function and line, and one function per name and file', () => {
    const { profile } = decoded(stacksToPprof(stacks));

    // json.Marshal:12, main.handle:40, main.handle:41, main.main:9; three functions.
    expect([profile.location.length, profile.function.length]).toEqual([4, 3]);
  });

  it('declares cpu nanoseconds, a 10 ms period by default, and the window it is given', () => {
    const { profile, text } = decoded(
      stacksToPprof(stacks, { startNs: 1_795_514_400_000_000_000n, durationNs: 3_600_000_000_000n }),
    );

    expect({
      sampleType: profile.sampleType.map((t) => `${text(t.type)}/${text(t.unit)}`),
      period: BigInt(profile.period),
      timeNanos: BigInt(profile.timeNanos),
      durationNanos: BigInt(profile.durationNanos),
    }).toEqual({
      sampleType: ['cpu/nanoseconds'],
      period: 10_000_000n,
      timeNanos: 1_795_514_400_000_000_000n,
      durationNanos: 3_600_000_000_000n,
    });
  });

  it('writes a valid, empty profile for no stacks', () => {
    const { samples, total } = decoded(stacksToPprof([]));

    expect([samples, total]).toEqual([[], 0n]);
  });
});
