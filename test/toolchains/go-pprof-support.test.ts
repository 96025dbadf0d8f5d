// Checks the Go CPU-profile test support: the Go program really emits the
// dd-trace-go label shapes we rely on, and the reference totals read through
// `go tool pprof -raw/-traces` agree with pprof's own `-tags` aggregation.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateLabelledCpuProfile,
  type LabelledCpuLabels,
  pprofRaw,
  pprofRawSamples,
  pprofTagTotals,
  pprofTotalsByLabel,
  type RawSample,
} from '../support/go-pprof.js';

// The first run may compile the Go runtime and the pprof tool from a cold
// cache on a busy machine.
const SLOW = 180_000;
const LABEL_KEYS = ['trace endpoint', 'span id', 'local root span id'] as const;

function hasFrame(s: RawSample, name: string): boolean {
  return s.stack.includes(name);
}

describe('go-pprof test support (real Go CPU profile)', () => {
  let dir = '';
  let file = '';
  let labels: LabelledCpuLabels;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hotspots-go-pprof-'));
    file = path.join(dir, 'cpu.pprof');
    ({ labels } = await generateLabelledCpuProfile(file, { durationMs: 3000 }));
  }, SLOW);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'totals by trace endpoint from -raw equal the -tags figures',
    async () => {
      const [fromRaw, fromTags] = await Promise.all([
        pprofTotalsByLabel(file, 'trace endpoint'),
        pprofTagTotals(file, 'trace endpoint'),
      ]);
      expect(fromRaw).toEqual(fromTags);

      // Every endpoint the program used (non-ASCII and quotes included)
      // came back verbatim, and nothing else did.
      const endpoints = new Set(labels.spans.flatMap((s) => (s.endpoint === null ? [] : [s.endpoint])));
      expect(endpoints.size).toBeGreaterThanOrEqual(3);
      expect(new Set([...fromRaw.keys()].filter((k) => k !== null))).toEqual(endpoints);
      for (const ep of endpoints) expect(fromRaw.get(ep)).toBeGreaterThan(0n);
      // Unlabelled and span-id-only CPU form the null group.
      expect(fromRaw.get(null)).toBeGreaterThan(0n);
    },
    SLOW,
  );

  it(
    'agrees with -tags for the span id keys too',
    async () => {
      for (const key of ['span id', 'local root span id']) {
        const [fromRaw, fromTags] = await Promise.all([pprofTotalsByLabel(file, key), pprofTagTotals(file, key)]);
        expect(fromRaw).toEqual(fromTags);
      }
    },
    SLOW,
  );

  it(
    'label groups plus the null group add up to the total of all samples',
    async () => {
      const profile = await pprofRaw(file);
      const cpu = profile.sampleTypes.findIndex((t) => t.type === 'cpu');
      const count = profile.sampleTypes.findIndex((t) => t.type === 'samples');
      expect(cpu).toBeGreaterThanOrEqual(0);
      expect(count).toBeGreaterThanOrEqual(0);
      expect(profile.samples.length).toBeGreaterThan(0);

      let total = 0n;
      for (const s of profile.samples) {
        const ns = s.values[cpu] ?? -1n;
        // Exact integers: the runtime records cpu = samples × period.
        expect(ns).toBe((s.values[count] ?? 0n) * (profile.period ?? 0n));
        total += ns;
      }
      expect(total).toBeGreaterThan(0n);

      for (const key of LABEL_KEYS) {
        const groups = await pprofTotalsByLabel(file, key);
        let sum = 0n;
        for (const v of groups.values()) sum += v;
        expect(sum, key).toBe(total);
      }
    },
    SLOW,
  );

  it(
    'big span ids come through as exact decimal strings',
    async () => {
      const samples = await pprofRawSamples(file);
      expect(samples.sampleTypes.map((t) => t.type)).toEqual(['samples', 'cpu']);

      const seen = new Set(samples.flatMap((s) => s.labels['span id'] ?? []));
      const expected = labels.spans.map((s) => s.span_id);
      expect(new Set(expected)).toEqual(seen);
      // Above 2^53 (float64 loses it) and above 2^63 (int64 loses it).
      expect(expected.some((id) => BigInt(id) > 2n ** 53n && BigInt(id) < 2n ** 63n)).toBe(true);
      expect(expected.some((id) => BigInt(id) > 2n ** 63n)).toBe(true);
      for (const id of expected) expect(BigInt(id).toString()).toBe(id);

      const rootSeen = new Set(samples.flatMap((s) => s.labels['local root span id'] ?? []));
      const rootExpected = new Set(labels.spans.flatMap((s) => s.local_root_span_id ?? []));
      expect(rootSeen).toEqual(rootExpected);
    },
    SLOW,
  );

  it(
    'has the label shapes the join logic must handle',
    async () => {
      const samples = await pprofRawSamples(file);
      const child = labels.spans.find((s) => s.role === 'child');
      const parent = labels.spans.find((s) => s.span_id === child?.parent_span_id);
      expect(child).toBeDefined();
      expect(parent).toBeDefined();
      if (!child || !parent) return;

      // Child span: own span id, parent's local root and endpoint.
      const childSpan = samples.filter((s) => hasFrame(s, 'main.childSpanWork'));
      expect(childSpan.length).toBeGreaterThan(0);
      for (const s of childSpan) {
        expect(s.labels).toEqual({
          'span id': [child.span_id],
          'local root span id': [parent.span_id],
          'trace endpoint': [parent.endpoint],
        });
      }
      // The spawned goroutine inherited the root's labels unchanged.
      const inherited = samples.filter(
        (s) => hasFrame(s, 'main.childGoroutineWork') && !hasFrame(s, 'main.childSpanWork'),
      );
      expect(inherited.length).toBeGreaterThan(0);
      for (const s of inherited) expect(s.labels['span id']).toEqual([parent.span_id]);

      // No labels at all, and span id without endpoint.
      const bare = samples.filter((s) => hasFrame(s, 'main.backgroundWork'));
      expect(bare.length).toBeGreaterThan(0);
      for (const s of bare) expect(Object.keys(s.labels)).toEqual([]);
      const spanOnly = samples.filter((s) => hasFrame(s, 'main.spanOnlyWork'));
      expect(spanOnly.length).toBeGreaterThan(0);
      for (const s of spanOnly) expect(Object.keys(s.labels)).toEqual(['span id']);

      // Stacks are leaf first.
      expect(childSpan[0]?.stack[0]).not.toBe('main.childSpanWork');
      expect(childSpan[0]?.stack.indexOf('main.childSpanWork')).toBeLessThan(
        childSpan[0]?.stack.indexOf('runtime/pprof.Do') ?? -1,
      );
    },
    SLOW,
  );
});
