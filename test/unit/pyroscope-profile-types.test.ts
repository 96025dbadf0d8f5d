import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import { profileTypeOf, profileTypeOfMeasure, typesMatching } from '../../shared/query/pyroscope/profile-types.js';

/** Profile type ids of the Pyroscope query API: one per stored measure, and back. */
describe('profile types of measures', () => {
  it('gives the named measures their fixed ids, whatever the period of their profiles', () => {
    expect(
      [
        ['cpu/nanoseconds', 'cpu/nanoseconds'],
        ['cpu/nanoseconds', 'wall/nanoseconds'],
        ['wall/nanoseconds', 'wall-time/nanoseconds'],
        ['lock-wait/nanoseconds', ''],
      ].map(([stored, period]) => profileTypeOfMeasure(stored as string, period as string)?.id),
    ).toEqual([
      'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      'wall:wall:nanoseconds:wall:nanoseconds',
      'mutex:delay:nanoseconds::',
    ]);
  });

  it('derives the others from their type, unit and period, named by the measure the period measures', () => {
    expect(
      [
        ['samples/count', 'cpu/nanoseconds'],
        ['samples/count', 'wall/nanoseconds'],
        ['lock-acquire/count', 'wall-time/nanoseconds'],
        ['alloc-space/bytes', 'space/bytes'],
        ['delay/nanoseconds', 'contentions/count'],
        ['alloc-space/bytes', ''],
        ['odd:type/count', 'cpu/nanoseconds'],
        ['blank type/count', ''],
      ].map(([stored, period]) => profileTypeOfMeasure(stored as string, period as string)?.id),
    ).toEqual([
      'process_cpu:samples:count:cpu:nanoseconds',
      'wall:samples:count:wall:nanoseconds',
      'wall:lock-acquire:count:wall-time:nanoseconds',
      'alloc-space:alloc-space:bytes:space:bytes',
      'delay:delay:nanoseconds:contentions:count',
      'alloc-space:alloc-space:bytes::',
      undefined,
      undefined,
    ]);
  });

  it('reads an id back to its measure; a named measure under another id reads nothing', () => {
    const measureOf = (id: string) => {
      const type = profileTypeOf(id);
      return type === undefined ? undefined : `${type.measure.type}/${type.measure.unit}`;
    };
    expect(
      [
        'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
        'wall:wall:nanoseconds:wall:nanoseconds',
        'mutex:delay:nanoseconds::',
        'process_cpu:samples:count:cpu:nanoseconds',
        'anything:samples:count::',
        'wall:cpu:nanoseconds:wall:nanoseconds',
        'mutex:lock-wait:nanoseconds::',
      ].map(measureOf),
    ).toEqual([
      'cpu/nanoseconds',
      'wall/nanoseconds',
      'lock-wait/nanoseconds',
      'samples/count',
      'samples/count',
      undefined,
      undefined,
    ]);
  });

  it('refuses a malformed id with a 400 naming the form', () => {
    for (const id of ['', 'cpu', 'a:b:c:d', 'a:b:c:d:e:f', 'a: b:c::', 'x'.repeat(600)]) {
      expect(() => profileTypeOf(id)).toThrow(HotspotsError);
      expect(() => profileTypeOf(id)).toThrow(/name:sample_type:sample_unit:period_type:period_unit/);
    }
  });

  it('decides reserved-label matchers per type, and passes the others to the database', () => {
    const types = ['cpu/nanoseconds', 'wall/nanoseconds', 'lock-wait/nanoseconds', 'samples/count'].map(
      (stored) => profileTypeOfMeasure(stored, 'cpu/nanoseconds') as NonNullable<ReturnType<typeof profileTypeOf>>,
    );
    const split = typesMatching(
      [
        { name: '__name__', op: '=', value: 'process_cpu' },
        { name: 'service_name', op: '=', value: 'x' },
      ],
      types,
    );
    expect(split.types.map((t) => t.id)).toEqual([
      'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      'process_cpu:samples:count:cpu:nanoseconds',
    ]);
    expect(split.sampleMatchers).toEqual([{ name: 'service_name', op: '=', value: 'x' }]);
    expect(
      typesMatching([{ name: '__unit__', op: '=~', value: 'nano.*' }], types).types.map((t) => t.sampleType),
    ).toEqual(['cpu', 'wall', 'delay']);
  });
});
