import { badRequest } from '../platform/errors.js';

/**
 * A measure: one stored sample type and unit of the `samples` table. The ingest side stores each
 * runtime's recognised measures under canonical names (CPU as `cpu/nanoseconds`, wall as
 * `wall/nanoseconds`, lock wait as `lock-wait/nanoseconds`); every other sample type keeps its own
 * `type/unit`. Clients name a measure by its short name (`cpu`, `wall`, `lock-wait`) or by
 * `type/unit`; answers name it by `name` (the short name where there is one).
 */
export interface Measure {
  name: string;
  type: string;
  unit: string;
}

export const CPU: Measure = { name: 'cpu', type: 'cpu', unit: 'nanoseconds' };
export const WALL: Measure = { name: 'wall', type: 'wall', unit: 'nanoseconds' };
export const LOCK_WAIT: Measure = { name: 'lock-wait', type: 'lock-wait', unit: 'nanoseconds' };

/** The measures with a short name; they are always accepted, stored or not (their value is then 0). */
export const NAMED_MEASURES: readonly Measure[] = [CPU, WALL, LOCK_WAIT];

/** Longest sample type or unit accepted in a measure name. */
export const MAX_MEASURE_PART = 64;
const part = new RegExp(`^[A-Za-z0-9_.:-]{1,${MAX_MEASURE_PART}}$`);

export const isCpu = (measure: Measure): boolean => measure.type === CPU.type && measure.unit === CPU.unit;

/** The measure of a stored `type/unit` string (profiles.sample_types holds them so). */
export function measureOfSampleType(typeAndUnit: string): Measure {
  const slash = typeAndUnit.indexOf('/');
  const type = slash < 0 ? typeAndUnit : typeAndUnit.slice(0, slash);
  const unit = slash < 0 ? '' : typeAndUnit.slice(slash + 1);
  const named = NAMED_MEASURES.find((m) => m.type === type && m.unit === unit);
  return named ?? { name: `${type}/${unit}`, type, unit };
}

/**
 * Reads the `measure` parameter: absent = CPU. A short name or a well-formed `type/unit`; anything
 * else is a 400 naming the accepted forms. Whether a `type/unit` is stored is checked by the
 * caller against what the data holds (`requireAvailable`).
 */
export function parseMeasure(text: string | null | undefined): Measure {
  if (text === null || text === undefined || text === '') return CPU;
  const named = NAMED_MEASURES.find((m) => m.name === text);
  if (named) return named;
  const slash = text.indexOf('/');
  const type = text.slice(0, slash);
  const unit = text.slice(slash + 1);
  if (slash < 0 || !part.test(type) || !part.test(unit)) {
    const shown = text.length > 2 * MAX_MEASURE_PART ? `${text.slice(0, 2 * MAX_MEASURE_PART)}…` : text;
    throw badRequest(
      `measure ${JSON.stringify(shown)} is not a measure: give cpu, wall, lock-wait or a stored sample type as type/unit (letters, digits, _ . : -, at most ${MAX_MEASURE_PART} each)`,
    );
  }
  return measureOfSampleType(`${type}/${unit}`);
}

/**
 * Refuses a `type/unit` measure that no stored profile of the scope holds, naming those that are
 * there. Short-named measures always pass: a service without wall profiles has 0 ns of wall.
 */
export function requireAvailable(measure: Measure, available: readonly Measure[], scope: string): void {
  if (NAMED_MEASURES.includes(measure)) return;
  if (available.some((m) => m.type === measure.type && m.unit === measure.unit)) return;
  const names = available.map((m) => m.name);
  throw badRequest(
    `measure ${JSON.stringify(measure.name)} is not stored for ${scope}; available: ${names.length > 0 ? names.join(', ') : 'none'} (and always cpu, wall, lock-wait)`,
  );
}

/** Measures sorted for answers: the named ones first in their order, then the rest by name. */
export function sortMeasures(measures: Iterable<Measure>): Measure[] {
  const unique = new Map<string, Measure>();
  for (const m of measures) unique.set(m.name, m);
  const rank = (m: Measure) => {
    const i = NAMED_MEASURES.findIndex((n) => n.name === m.name);
    return i < 0 ? NAMED_MEASURES.length : i;
  };
  return [...unique.values()].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
