import type { ExplodeLimits, ProfileContext } from '../../shared/pprof/index.js';

/** The context the decoder tests explode their profiles under. */
export const testProfileContext: ProfileContext = {
  tenant: 'acme',
  service: 'checkout',
  env: 'prod',
  version: '1.2.3',
  profileId: 'profile-1',
  ingestId: 'ingest-1',
  fallbackStartSeconds: 1_700_000_000,
};

/** Roomy decoder limits, with the consumer's default label limits (what the bad corpus was made for). */
export const testExplodeLimits: ExplodeLimits = {
  maxSamplesPerProfile: 100_000,
  maxLabelsPerSample: 64,
  maxLabelValueBytes: 4096,
  maxStackFrames: 1e7,
  maxProfileRecords: 1e7,
  maxRowsPerProfile: 1e7,
};
