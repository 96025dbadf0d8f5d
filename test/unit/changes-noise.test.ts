import { describe, expect, it } from 'vitest';
import { noiseVerdict } from '../../shared/query/changes.js';

/** The deploy report's noise rule on hand-computed figures. */
const side = (value: number, samples: number) => ({ value, sampling_error: value / Math.sqrt(samples) });

describe('noiseVerdict', () => {
  it('calls a doubling over hundreds of samples an increase', () => {
    // 1.5 ms/req from 300 samples (σ 86.6 µs) → 3 ms/req from 300 samples (σ 173.2 µs).
    const verdict = noiseVerdict(side(1.5e6, 300), side(3e6, 300), 20_000, 0.1);
    expect(verdict.status).toBe('increased');
    expect(verdict.delta).toBe(1.5e6);
    expect(verdict.relative_change).toBe(1);
    expect(verdict.threshold).toBeCloseTo(3 * Math.sqrt(1.5e6 ** 2 / 300 + 3e6 ** 2 / 300 + 20_000 ** 2), 6);
  });

  it('calls a change inside three sampling errors unchanged', () => {
    // 25 samples: σ = 20 % of the figure on each side; +30 % is under 3σ.
    expect(noiseVerdict(side(1e6, 25), side(1.3e6, 25), 0, 0.1).status).toBe('unchanged');
  });

  it('counts the before-period spread across profiles as noise', () => {
    const quiet = noiseVerdict(side(1e6, 10_000), side(1.2e6, 10_000), 0, 0.1);
    const noisy = noiseVerdict(side(1e6, 10_000), side(1.2e6, 10_000), 100_000, 0.1);
    expect([quiet.status, noisy.status]).toEqual(['increased', 'unchanged']);
  });

  it('needs the minimum relative change even when sampling error is tiny', () => {
    expect(noiseVerdict(side(1e6, 1e9), side(1.05e6, 1e9), 0, 0.1).status).toBe('unchanged');
    expect(noiseVerdict(side(1e6, 1e9), side(0.85e6, 1e9), 0, 0.1).status).toBe('decreased');
  });
});
