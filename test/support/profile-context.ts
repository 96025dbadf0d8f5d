import type { ProfileContext } from '../../shared/pprof/explode.js';

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
