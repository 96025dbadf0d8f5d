import { describe, expect, it } from 'vitest';
import { storedSampleTypeNames, storedSampleTypes } from '../../shared/platform/measure-names.js';

const types = (...names: string[]) =>
  names.map((n) => {
    const [type, unit] = n.split('/') as [string, string];
    return { type, unit };
  });
const names = (list: { type: string; unit: string }[]) => list.map((t) => `${t.type}/${t.unit}`);

describe('storedSampleTypes', () => {
  it("stores each runtime's CPU, wall and lock wait under one measure", () => {
    expect(names(storedSampleTypes(types('samples/count', 'cpu/nanoseconds')))).toEqual([
      'samples/count',
      'cpu/nanoseconds',
    ]);
    expect(names(storedSampleTypes(types('sample/count', 'wall/nanoseconds', 'cpu/nanoseconds')))).toEqual([
      'sample/count',
      'wall/nanoseconds',
      'cpu/nanoseconds',
    ]);
    expect(
      names(
        storedSampleTypes(
          types(
            'cpu-samples/count',
            'cpu-time/nanoseconds',
            'wall-samples/count',
            'wall-time/nanoseconds',
            'lock-acquire/count',
            'lock-acquire-wait/nanoseconds',
            'alloc-space/bytes',
          ),
        ),
      ),
    ).toEqual([
      'cpu-samples/count',
      'cpu/nanoseconds',
      'wall-samples/count',
      'wall/nanoseconds',
      'lock-acquire/count',
      'lock-wait/nanoseconds',
      'alloc-space/bytes',
    ]);
  });

  it('gives a measure once when two sample types map to it, whichever comes first', () => {
    expect(names(storedSampleTypes(types('cpu/nanoseconds', 'cpu-time/nanoseconds')))).toEqual([
      'cpu/nanoseconds',
      'cpu-time/nanoseconds',
    ]);
    expect(names(storedSampleTypes(types('cpu-time/nanoseconds', 'cpu/nanoseconds')))).toEqual([
      'cpu-time/nanoseconds',
      'cpu/nanoseconds',
    ]);
    expect(
      names(storedSampleTypes(types('wall-time/nanoseconds', 'cpu-time/nanoseconds', 'wall/nanoseconds'))),
    ).toEqual(['wall-time/nanoseconds', 'cpu/nanoseconds', 'wall/nanoseconds']);
  });

  it('keeps a unit it does not know under its own name', () => {
    expect(names(storedSampleTypes(types('cpu-time/count', 'wall/microseconds')))).toEqual([
      'cpu-time/count',
      'wall/microseconds',
    ]);
  });
});

describe('storedSampleTypeNames', () => {
  it('maps profiles.sample_types by the rule the rows were written with', () => {
    expect(storedSampleTypeNames(['cpu-samples/count', 'cpu-time/nanoseconds', 'wall-time/nanoseconds'])).toEqual([
      'cpu-samples/count',
      'cpu/nanoseconds',
      'wall/nanoseconds',
    ]);
    expect(storedSampleTypeNames(['cpu-time/nanoseconds', 'cpu/nanoseconds'])).toEqual([
      'cpu-time/nanoseconds',
      'cpu/nanoseconds',
    ]);
  });
});
