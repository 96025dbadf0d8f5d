import { describe, expect, it } from 'vitest';
import { profileDurationNs } from '../../shared/profiles/profile-window.js';

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
