import { describe, expect, it } from 'vitest';
import { timeBreakdown } from '../../shared/query/breakdown.js';
import {
  CPU,
  LOCK_WAIT,
  measureOfSampleType,
  parseMeasure,
  requireAvailable,
  sortMeasures,
  WALL,
} from '../../shared/query/measures.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';

describe('parseMeasure', () => {
  it('reads CPU when absent, the short names, and their type/unit spelling', () => {
    expect([null, '', 'cpu', 'cpu/nanoseconds', 'wall', 'wall/nanoseconds', 'lock-wait'].map(parseMeasure)).toEqual([
      CPU,
      CPU,
      CPU,
      CPU,
      WALL,
      WALL,
      LOCK_WAIT,
    ]);
  });

  it('keeps any other well-formed type/unit by name', () => {
    expect(parseMeasure('alloc-space/bytes')).toEqual({
      name: 'alloc-space/bytes',
      type: 'alloc-space',
      unit: 'bytes',
    });
  });

  it.each(['heap', '/bytes', 'alloc/', 'a/b/c', 'a b/bytes', `${'x'.repeat(65)}/bytes`])('refuses %j', (text) => {
    expectHotspotsError(() => parseMeasure(text), {
      code: 'bad_request',
      message: expect.stringContaining(
        'is not a measure: give cpu, wall, lock-wait or a stored sample type as type/unit',
      ),
    });
  });
});

describe('measure availability', () => {
  it('names stored sample types by their short name where there is one, sorted named first', () => {
    const stored = [
      'samples/count',
      'alloc-space/bytes',
      'lock-wait/nanoseconds',
      'cpu/nanoseconds',
      'wall/nanoseconds',
    ];

    expect(sortMeasures(stored.map(measureOfSampleType)).map((m) => m.name)).toEqual([
      'cpu',
      'wall',
      'lock-wait',
      'alloc-space/bytes',
      'samples/count',
    ]);
  });

  it('passes named measures always, a type/unit only where stored, and names what is', () => {
    const available = [CPU, measureOfSampleType('samples/count')];

    expect(() => requireAvailable(WALL, [], 'span 1')).not.toThrow();
    expect(() => requireAvailable(parseMeasure('samples/count'), available, 'span 1')).not.toThrow();
    expectHotspotsError(() => requireAvailable(parseMeasure('heap/bytes'), available, 'span 1'), {
      code: 'bad_request',
      message:
        'measure "heap/bytes" is not stored for span 1; available: cpu, samples/count (and always cpu, wall, lock-wait)',
    });
  });
});

describe('timeBreakdown', () => {
  const ms = (n: number) => BigInt(n) * 1_000_000n;
  const profiled = (n: number) => ({ ns: ms(n), profiled: true });
  const absent = { ns: 0n, profiled: false };

  it('splits Python time into CPU, lock wait and the uncategorised rest of its duration', () => {
    const b = timeBreakdown({
      scope: 'request',
      durationNs: ms(500),
      cpu: profiled(50),
      wall: profiled(400),
      lockWait: profiled(100),
    });

    expect([b.rest_of, b.wall_ns, b.rest_ns, b.categories]).toEqual([
      'wall',
      ms(400),
      ms(350),
      [
        { category: 'CPU', ns: ms(50) },
        { category: 'Lock Wait', ns: ms(100) },
        { category: 'Uncategorized', ns: ms(350) },
      ],
    ]);
  });

  it('measures the rest against wall when several threads carried the span past its duration', () => {
    const b = timeBreakdown({
      scope: 'span',
      durationNs: ms(100),
      cpu: profiled(150),
      wall: profiled(200),
      lockWait: profiled(20),
    });

    expect([b.wall_ns, b.rest_ns]).toEqual([ms(200), ms(30)]);
  });

  it('gives Node CPU and Uncategorized, with lock wait not profiled (null)', () => {
    const b = timeBreakdown({
      scope: 'span',
      durationNs: ms(600),
      cpu: profiled(0),
      wall: profiled(500),
      lockWait: absent,
    });

    expect([b.lock_wait_ns, b.categories.map((c) => c.category), b.rest_ns]).toEqual([
      null,
      ['CPU', 'Uncategorized'],
      ms(600),
    ]);
  });

  it('shows a Node request awaiting a timer, which leaves no sample, as uncategorised time', () => {
    const b = timeBreakdown({
      scope: 'request',
      durationNs: ms(200),
      cpu: profiled(1),
      wall: profiled(0),
      lockWait: absent,
    });

    expect([b.wall_ns, b.sampled_wall_ns, b.rest_ns, b.categories]).toEqual([
      ms(1),
      0n,
      ms(199),
      [
        { category: 'CPU', ns: ms(1) },
        { category: 'Uncategorized', ns: ms(199) },
      ],
    ]);
  });

  it('gives Go CPU and Off-CPU against the duration', () => {
    const b = timeBreakdown({ scope: 'span', durationNs: ms(100), cpu: profiled(40), wall: absent, lockWait: absent });

    expect([b.rest_of, b.wall_ns, b.sampled_wall_ns, b.categories]).toEqual([
      'duration',
      null,
      null,
      [
        { category: 'CPU', ns: ms(40) },
        { category: 'Off-CPU', ns: ms(60) },
      ],
    ]);
  });

  it('raises wall to CPU when the samples put CPU above wall, and never makes the rest negative', () => {
    const b = timeBreakdown({
      scope: 'span',
      durationNs: ms(5),
      cpu: profiled(30),
      wall: profiled(11),
      lockWait: absent,
    });

    expect([b.wall_ns, b.sampled_wall_ns, b.rest_ns]).toEqual([ms(30), ms(11), 0n]);
  });

  it('keeps a span no profile covered apart from one with nothing sampled', () => {
    const none = timeBreakdown({ scope: 'span', durationNs: ms(5), cpu: absent, wall: absent, lockWait: absent });
    const zero = timeBreakdown({ scope: 'span', durationNs: ms(5), cpu: profiled(0), wall: absent, lockWait: absent });

    expect([none.profiled, none.cpu_ns, none.rest_ns, none.categories]).toEqual([false, null, null, []]);
    expect([zero.profiled, zero.cpu_ns, zero.rest_ns]).toEqual([true, 0n, ms(5)]);
  });
});
