import { badRequest } from '../../platform/errors.js';
import { storedSampleTypeNames } from '../../platform/measure-names.js';
import { CPU, LOCK_WAIT, type Measure, measureOfSampleType, WALL } from '../measures.js';
import type { LabelMatcher } from '../sql/label-source.js';
import { matches } from './label-selector.js';

/**
 * Pyroscope profile type ids (`name:sample_type:sample_unit:period_type:period_unit`) and the
 * stored measure each one reads. One id per measure, so a measure's profiles from every runtime
 * merge under it:
 * - the named measures have fixed ids, Pyroscope's own where it has one: CPU
 *   `process_cpu:cpu:nanoseconds:cpu:nanoseconds` and wall `wall:wall:nanoseconds:wall:nanoseconds`
 *   (Go, Node, Java, .NET in Pyroscope); lock wait `mutex:delay:nanoseconds::`, Pyroscope's id for
 *   time spent waiting on locks in runtimes with no contention period (Java's async-profiler
 *   lock event). Grafana groups types by name, so lock wait shows as mutex › delay, in
 *   nanoseconds. Go's own mutex and block profiles store their `delay/nanoseconds` samples under
 *   their own name and get the derived id below, so they never mix with lock wait.
 * - every other stored `type/unit` gets `name:type:unit:period_type:period_unit`, the period from
 *   the profiles holding it (the smallest when they differ, so the id is stable). Stored samples
 *   keep no profile name, so the name is that of the named measure the period measures, as
 *   Pyroscope names a profile by its period (Go's CPU profile `samples/count` is
 *   `process_cpu:samples:count:cpu:nanoseconds`), else the sample type itself. Such an id reads
 *   its `type/unit` whatever its name and period fields say; a type or unit that cannot sit in an
 *   id (a `:` or blank) is not listed.
 */
export interface ProfileTypeRow {
  id: string;
  name: string;
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
  /** The measure whose stored samples the type reads. */
  measure: Measure;
}

function row(id: string, measure: Measure): ProfileTypeRow {
  const [name, sampleType, sampleUnit, periodType, periodUnit] = id.split(':') as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { id, name, sampleType, sampleUnit, periodType, periodUnit, measure };
}

/** The ids of the named measures. */
export const NAMED_PROFILE_TYPES: readonly ProfileTypeRow[] = [
  row('process_cpu:cpu:nanoseconds:cpu:nanoseconds', CPU),
  row('wall:wall:nanoseconds:wall:nanoseconds', WALL),
  row('mutex:delay:nanoseconds::', LOCK_WAIT),
];

const ID_PATTERN = /^[^:\s]+:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*$/;
const ID_PART = /^[^:\s]+$/;

const sameMeasure = (a: Measure, b: Measure) => a.type === b.type && a.unit === b.unit;

/**
 * The profile type of a stored measure (`type/unit`) whose profiles declare `periodType`
 * (`type/unit`, or '' for none); `undefined` when the measure cannot be written as an id.
 */
export function profileTypeOfMeasure(stored: string, periodType: string): ProfileTypeRow | undefined {
  const measure = measureOfSampleType(stored);
  const named = NAMED_PROFILE_TYPES.find((type) => sameMeasure(type.measure, measure));
  if (named) return named;
  if (!ID_PART.test(measure.type) || !ID_PART.test(measure.unit)) return undefined;
  const slash = periodType.indexOf('/');
  const period = slash < 0 ? ['', ''] : [periodType.slice(0, slash), periodType.slice(slash + 1)];
  const periodPart = (text: string | undefined) => (text !== undefined && ID_PART.test(text) ? text : '');
  const [periodMeasure] = slash < 0 ? [] : storedSampleTypeNames([periodType]);
  const name =
    NAMED_PROFILE_TYPES.find((type) => `${type.measure.type}/${type.measure.unit}` === periodMeasure)?.name ??
    measure.type;
  return row(`${name}:${measure.type}:${measure.unit}:${periodPart(period[0])}:${periodPart(period[1])}`, measure);
}

/**
 * The row of a profile type id, a 400 for a malformed one. A named id reads its measure; any other
 * `name:type:unit:…` id reads the stored `type/unit` (its name and period are not checked). A named
 * measure under another id is `undefined`: Hotspots holds no data of it, and the answer is empty,
 * as Pyroscope's for a type it never received.
 */
export function profileTypeOf(id: string): ProfileTypeRow | undefined {
  if (id.length > 512 || !ID_PATTERN.test(id)) {
    throw badRequest(
      `profile_typeID must be name:sample_type:sample_unit:period_type:period_unit (e.g. ${NAMED_PROFILE_TYPES[0]?.id}), got ${JSON.stringify(id.slice(0, 100))}`,
    );
  }
  const named = NAMED_PROFILE_TYPES.find((type) => type.id === id);
  if (named) return named;
  const parsed = row(id, measureOfSampleType(`${id.split(':')[1]}/${id.split(':')[2]}`));
  if (NAMED_PROFILE_TYPES.some((type) => sameMeasure(type.measure, parsed.measure))) return undefined;
  return parsed;
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

export const PROFILE_TYPE_LABEL_NAMES = Object.keys(profileTypeLabels(NAMED_PROFILE_TYPES[0] as ProfileTypeRow));

/** Whether a type's reserved labels satisfy every matcher on reserved labels. */
export function typeMatches(type: ProfileTypeRow, matchers: readonly LabelMatcher[]): boolean {
  const labels = profileTypeLabels(type);
  return matchers.every((m) => !PROFILE_TYPE_LABEL_NAMES.includes(m.name) || matches(m, labels[m.name] ?? ''));
}

/**
 * Splits matchers into those on a profile type's reserved labels (decided here, per type of
 * `types`) and those on sample labels (decided by the database).
 */
export function typesMatching(
  matchers: readonly LabelMatcher[],
  types: readonly ProfileTypeRow[],
): {
  types: ProfileTypeRow[];
  sampleMatchers: LabelMatcher[];
} {
  return {
    types: types.filter((type) => typeMatches(type, matchers)),
    sampleMatchers: matchers.filter((m) => !PROFILE_TYPE_LABEL_NAMES.includes(m.name)),
  };
}
