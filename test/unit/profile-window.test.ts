import { describe, expect, it } from 'vitest';
import { profileDurationNs, profileStartNs, withProfileStart } from '../../shared/profiles/profile-window.js';

describe('profileDurationNs', () => {
  it("keeps the profile's own duration_nanos", () => {
    expect(profileDurationNs({ durationNs: 10_000_000_000n }, { start: 100, end: 160 })).toBe(10_000_000_000n);
  });

  it('takes the window the agent declared when the profile has no duration', () => {
    expect(profileDurationNs({ durationNs: 0n }, { start: 1_700_000_000, end: 1_700_000_060.5 })).toBe(60_500_000_000n);
  });

  it('leaves the duration at 0 when no usable window was declared', () => {
    expect(profileDurationNs({ durationNs: 0n }, { start: null, end: 160 })).toBe(0n);
    expect(profileDurationNs({ durationNs: 0n }, { start: 160, end: 100 })).toBe(0n);
  });
});

describe('profileStartNs', () => {
  const s = (seconds: number) => BigInt(Math.round(seconds * 1000)) * 1_000_000n;
  const window = { start: 1_700_000_000, end: 1_700_000_003.1 };

  it('keeps a time_nanos at the start of the declared window (Go, Python, Pyroscope)', () => {
    expect(profileStartNs({ startNs: s(1_700_000_000.01), durationNs: s(3.09) }, window)).toBe(s(1_700_000_000.01));
  });

  it('moves a time_nanos written at the end of the window (dd-trace-js wall.pprof) back by its duration', () => {
    expect(profileStartNs({ startNs: s(1_700_000_003.1), durationNs: s(3.1) }, window)).toBe(s(1_700_000_000));
  });

  it('keeps time_nanos when no window was declared, the profile has no duration, or the shift lands no nearer', () => {
    expect(profileStartNs({ startNs: s(1_700_000_003), durationNs: s(3) }, { start: null, end: null })).toBe(
      s(1_700_000_003),
    );
    expect(profileStartNs({ startNs: s(1_700_000_003), durationNs: 0n }, window)).toBe(s(1_700_000_003));
    expect(profileStartNs({ startNs: s(1_700_000_003), durationNs: s(20) }, window)).toBe(s(1_700_000_003));
  });

  it('dates the rows with the start it finds', () => {
    const moved = withProfileStart(
      { startNs: s(1_700_000_003.1), durationNs: s(3.1), compact: { ts: 1_700_000_003 } },
      window,
    );
    expect([moved.startNs, moved.compact.ts]).toEqual([s(1_700_000_000), 1_700_000_000]);
  });
});
