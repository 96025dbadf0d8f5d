import { badRequest } from '../../platform/errors.js';
import type { LabelMatcher } from '../sql/label-source.js';
import { matches } from './label-selector.js';

/**
 * Pyroscope profile type ids (`name:sample_type:sample_unit:period_type:period_unit`) and the
 * stored sample type each one reads. A small table: a measure becomes queryable by adding its row
 * (e.g. wall time, `wall:wall:nanoseconds:wall:nanoseconds`, read from `wall`/`nanoseconds`).
 */
export interface ProfileTypeRow {
  id: string;
  name: string;
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
  /** The stored samples' `sample_type` and `sample_unit`. */
  stored: { sampleType: string; sampleUnit: string };
}

function row(id: string, stored: ProfileTypeRow['stored']): ProfileTypeRow {
  const [name, sampleType, sampleUnit, periodType, periodUnit] = id.split(':') as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { id, name, sampleType, sampleUnit, periodType, periodUnit, stored };
}

export const PROFILE_TYPES: readonly ProfileTypeRow[] = [
  row('process_cpu:cpu:nanoseconds:cpu:nanoseconds', { sampleType: 'cpu', sampleUnit: 'nanoseconds' }),
];

const ID_PATTERN = /^[^:\s]+:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*$/;

/**
 * The row of a profile type id; `undefined` for a well-formed id Hotspots holds no data of (the
 * answer is then empty, as Pyroscope's for a type it never received); a 400 for a malformed one.
 */
export function profileTypeOf(id: string): ProfileTypeRow | undefined {
  if (id.length > 512 || !ID_PATTERN.test(id)) {
    throw badRequest(
      `profile_typeID must be name:sample_type:sample_unit:period_type:period_unit (e.g. ${PROFILE_TYPES[0]?.id}), got ${JSON.stringify(id.slice(0, 100))}`,
    );
  }
  return PROFILE_TYPES.find((type) => type.id === id);
}

/** The reserved series labels of a profile type, as Pyroscope's series carry them. */
export function profileTypeLabels(type: ProfileTypeRow): Record<string, string> {
  return {
    __name__: type.name,
    __profile_type__: type.id,
    __type__: type.sampleType,
    __unit__: type.sampleUnit,
    __period_type__: type.periodType,
    __period_unit__: type.periodUnit,
  };
}

export const PROFILE_TYPE_LABEL_NAMES = Object.keys(profileTypeLabels(PROFILE_TYPES[0] as ProfileTypeRow));

/**
 * Splits matchers into those on a profile type's reserved labels (decided here, per type) and
 * those on sample labels (decided by the database).
 */
export function typesMatching(matchers: readonly LabelMatcher[]): {
  types: ProfileTypeRow[];
  sampleMatchers: LabelMatcher[];
} {
  const typeMatchers = matchers.filter((m) => PROFILE_TYPE_LABEL_NAMES.includes(m.name));
  const types = PROFILE_TYPES.filter((type) => {
    const labels = profileTypeLabels(type);
    return typeMatchers.every((m) => matches(m, labels[m.name] ?? ''));
  });
  return { types, sampleMatchers: matchers.filter((m) => !PROFILE_TYPE_LABEL_NAMES.includes(m.name)) };
}
