import { buildPprof, type MeasuredSample, type ValueTypeSpec } from './pprof-builder.js';

/**
 * Non-CPU profiles as dd-trace-go uploads them beside cpu.pprof: delta-heap (alloc_objects/count,
 * alloc_space/bytes, inuse_objects/count, inuse_space/bytes), goroutines (goroutine/count), … Built
 * in code so tests know their values; the CPU profile comes from `buildCpuProfile`. They carry no
 * duration, period or period type.
 */
function buildTypedProfile(spec: { sampleTypes: ValueTypeSpec[]; samples: MeasuredSample[]; startNs?: bigint }) {
  return buildPprof({
    ...spec,
    frameOf: (_name, id) => ({ file: 'heap.go', line: id }),
    startNs: spec.startNs ?? BigInt(Date.now()) * 1_000_000n,
  });
}

/** A delta-heap profile whose values are huge, so any leak into CPU figures shows at once. */
export function buildHeapProfile(startNs?: bigint): Uint8Array {
  return buildTypedProfile({
    sampleTypes: [
      ['alloc_objects', 'count'],
      ['alloc_space', 'bytes'],
      ['inuse_objects', 'count'],
      ['inuse_space', 'bytes'],
    ],
    samples: [
      { stack: ['bytes.growSlice', 'main.handler'], values: [1000n, 987_654_321_000n, 10n, 123_456_789n] },
      { stack: ['json.Marshal', 'main.handler'], values: [500n, 555_000_000_000n, 0n, 0n] },
    ],
    ...(startNs === undefined ? {} : { startNs }),
  });
}

/** A goroutines profile with span labels, as the Go runtime records goroutine labels there. */
export function buildGoroutineProfile(startNs?: bigint): Uint8Array {
  return buildTypedProfile({
    sampleTypes: [['goroutine', 'count']],
    samples: [
      {
        stack: ['runtime.gopark', 'main.handler'],
        values: [7n],
        labels: { 'span id': '42', 'trace endpoint': 'GET /x' },
      },
      { stack: ['runtime.gopark', 'main.main'], values: [3n] },
    ],
    ...(startNs === undefined ? {} : { startNs }),
  });
}
