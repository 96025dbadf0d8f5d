import type { ExplodeLimits } from '../../shared/pprof/index.js';

/** The profile context the decode benches explode under. */
export const benchContext = {
  tenant: 'bench',
  service: 'checkout',
  env: 'bench',
  version: '1',
  profileId: 'profile',
  ingestId: 'ingest',
  fallbackStartSeconds: 0,
};

/** Limits far above any bench profile, so that none cuts a measurement short. */
export const benchLimits: ExplodeLimits = {
  maxSamplesPerProfile: 10_000_000,
  maxLabelsPerSample: 64,
  maxLabelValueBytes: 4096,
  maxStackFrames: 1_000_000_000,
  maxRowsPerProfile: 1_000_000_000,
  maxProfileRecords: 1_000_000_000,
};
