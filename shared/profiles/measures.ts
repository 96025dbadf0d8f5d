import { storedSampleTypes } from '../platform/measure-names.js';
import type { DecodedProfile } from '../pprof/index.js';

/** The decoded profile with its rows' sample types stored as measures (`sampleTypes` unchanged). */
export function withStoredMeasures(profile: DecodedProfile): DecodedProfile {
  return { ...profile, sampleTypeList: storedSampleTypes(profile.sampleTypeList) };
}
