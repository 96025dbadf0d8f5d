import {
  Label,
  Line,
  Location,
  Function as PprofFunction,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';

/**
 * A Go-like labelled CPU profile for benchmarks, deterministic for a seed: a call graph of
 * `functions` functions with inlined frames, stacks 10–40 deep drawn from a few hundred request
 * paths, and every sample labelled like dd-trace-go (`span id`, `local root span id`,
 * `trace endpoint`). The defaults match the baseline profile: 20k samples, 3 labels each,
 * about 1.9 MB encoded.
 */
export interface RealisticProfileOptions {
  samples?: number;
  functions?: number;
  endpoints?: number;
  /** Distinct requests (local roots); each has a few child spans. */
  requests?: number;
  seed?: number;
  startNs?: bigint;
}

function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    // xorshift32: reproducible across Node versions, unlike Math.random.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

export function buildRealisticProfile(options: RealisticProfileOptions = {}): Uint8Array {
  const sampleCount = options.samples ?? 20_000;
  const functionCount = options.functions ?? 3_000;
  const endpointCount = options.endpoints ?? 20;
  const requestCount = options.requests ?? Math.max(1, Math.floor(sampleCount / 10));
  const next = random(options.seed ?? 1);
  const pick = (n: number) => Math.floor(next() * n);

  const strings = new StringTable();
  const packages = ['net/http', 'encoding/json', 'runtime', 'database/sql', 'main', 'github.com/acme/api/handlers'];
  const functions: PprofFunction[] = [];
  for (let id = 1; id <= functionCount; id++) {
    const pkg = packages[id % packages.length] ?? 'main';
    functions.push(
      new PprofFunction({
        id,
        name: strings.dedup(`${pkg}.(*handler${id % 97}).serve${id}`),
        systemName: strings.dedup(`${pkg}.(*handler${id % 97}).serve${id}`),
        filename: strings.dedup(`/go/src/${pkg}/file${id % 211}.go`),
        startLine: id,
      }),
    );
  }
  // Twice as many locations as functions; one in five has an inlined frame.
  const locations: Location[] = [];
  for (let id = 1; id <= functionCount * 2; id++) {
    const lines = [new Line({ functionId: 1 + pick(functionCount), line: 1 + pick(900) })];
    if (id % 5 === 0) lines.unshift(new Line({ functionId: 1 + pick(functionCount), line: 1 + pick(900) }));
    locations.push(new Location({ id, address: BigInt(0x400000 + id * 16), line: lines }));
  }
  const paths: number[][] = [];
  for (let p = 0; p < 400; p++) {
    const depth = 10 + pick(31);
    paths.push(Array.from({ length: depth }, () => 1 + pick(locations.length)));
  }
  const spanKey = strings.dedup('span id');
  const rootKey = strings.dedup('local root span id');
  const endpointKey = strings.dedup('trace endpoint');
  const endpoints = Array.from({ length: endpointCount }, (_, i) => strings.dedup(`GET /api/v1/resource${i}/{id}`));
  const period = 10_000_000n;
  const samples: Sample[] = [];
  for (let s = 0; s < sampleCount; s++) {
    const request = pick(requestCount);
    const rootId = 1_000_000_000_000n + BigInt(request) * 7919n;
    const spanId = rootId + BigInt(pick(4));
    const path = paths[pick(paths.length)] ?? [1];
    // A varying leaf keeps stacks realistic: a few thousand distinct ones per profile.
    const stack = [1 + pick(locations.length), ...path];
    const ticks = BigInt(1 + pick(3));
    samples.push(
      new Sample({
        locationId: stack,
        value: [ticks, ticks * period],
        label: [
          new Label({ key: spanKey, str: strings.dedup(spanId.toString()) }),
          new Label({ key: rootKey, str: strings.dedup(rootId.toString()) }),
          new Label({ key: endpointKey, str: endpoints[request % endpointCount] ?? 0 }),
        ],
      }),
    );
  }
  return new Profile({
    sampleType: [
      new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
      new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    ],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: options.startNs ?? 1_790_000_000_000_000_000n,
    durationNanos: 60_000_000_000n,
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period,
  }).encode();
}
