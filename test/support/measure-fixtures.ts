import { expect } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { labelled } from './measure-profiles.js';
import { buildCpuProfile, buildMeasuredProfile, type MeasuredProfileSpec } from './pprof-builder.js';
import { uniqueService, uploadProfile, waitForCommittedProfiles } from './services.js';
import { spanRow } from './span-rows.js';

/**
 * Python-, Node- and Go-style profiles with known measures, and the spans they cover, for the
 * measure tests (API and UI): fresh services and span ids per call.
 * - Python (`py`): CPU, wall, lock wait, allocations; a request (root + child) that waits on a
 *   lock, a second request (`other`), unlabelled GC; a span of another, unprofiled service
 *   (`idle`) under the root.
 * - Node: a request awaiting a timer (wall, no CPU). Go: CPU only.
 */
export const MS = 1_000_000n;
export const tenant = 'test-a';
export const wall = 'wall/nanoseconds';
export const cpu = 'cpu/nanoseconds';
export const lock = 'lock-wait/nanoseconds';
export const alloc = 'alloc-space/bytes';
export const ofSpans = (...spans: string[]) => labelled('span id', ...spans);
export const ofRoot = (root: string) => labelled('local root span id', root);
export const traceOf = (spanId: string) => BigInt(spanId).toString(16).padStart(32, '0');
export const freshSpanId = () => String(BigInt(Math.floor(Math.random() * 2 ** 48)) + 1_000_000n);

/** The labels a tracer puts on a request's samples: span, local root span and endpoint. */
export const spanLabels = (span: string, root: string, endpoint = 'GET /py') => ({
  'span id': span,
  'local root span id': root,
  'trace endpoint': endpoint,
});

/** A Node profile as dd-trace-js's wall.pprof declares its sample types: samples, wall, CPU. */
export const nodeWallProfile = (spec: Omit<MeasuredProfileSpec, 'sampleTypes' | 'periodType'>) =>
  buildMeasuredProfile({
    sampleTypes: [
      ['samples', 'count'],
      ['wall', 'nanoseconds'],
      ['cpu', 'nanoseconds'],
    ],
    periodType: ['cpu', 'nanoseconds'],
    ...spec,
  });

export function measureFixtures() {
  const startNs = (BigInt(Math.floor(Date.now() / 1000)) - 120n) * 1_000_000_000n;
  const durationNs = 60_000n * MS;
  const fromSec = Number(startNs / 1_000_000_000n) - 60;
  const window = `from=${fromSec}&to=${fromSec + 660}`;
  const services = {
    py: uniqueService('py-measures'),
    node: uniqueService('node-measures'),
    go: uniqueService('go-measures'),
    unprofiled: uniqueService('unprofiled'),
  };
  const id = freshSpanId;
  const ids = { root: id(), child: id(), idle: id(), other: id(), nodeRoot: id(), goRoot: id() };
  const pyTrace = traceOf(ids.root);
  const pyProfile = buildMeasuredProfile({
    sampleTypes: [
      ['samples', 'count'],
      ['cpu', 'nanoseconds'],
      ['wall', 'nanoseconds'],
      ['lock-wait', 'nanoseconds'],
      ['alloc-space', 'bytes'],
    ],
    periodType: ['cpu', 'nanoseconds'],
    startNs,
    durationNs,
    samples: [
      { stack: ['handle', 'main'], values: [3n, 30n * MS, 200n * MS, 0n, 0n], labels: spanLabels(ids.root, ids.root) },
      {
        stack: ['acquire', 'handle', 'main'],
        values: [1n, 0n, 150n * MS, 140n * MS, 0n],
        labels: spanLabels(ids.root, ids.root),
      },
      {
        stack: ['query', 'handle', 'main'],
        values: [2n, 20n * MS, 300n * MS, 0n, 4096n],
        labels: spanLabels(ids.child, ids.root),
      },
      {
        stack: ['render', 'main'],
        values: [1n, 10n * MS, 40n * MS, 5n * MS, 512n],
        labels: spanLabels(ids.other, ids.other, 'POST /py'),
      },
      { stack: ['gc'], values: [1n, 10n * MS, 10n * MS, 0n, 0n] },
    ],
  });
  const nodeProfile = nodeWallProfile({
    startNs,
    durationNs,
    samples: [
      {
        stack: ['setTimeout', 'handler'],
        values: [5n, 500n * MS, 0n],
        labels: spanLabels(ids.nodeRoot, ids.nodeRoot, 'GET /node'),
      },
    ],
  });
  const goProfile = buildCpuProfile({
    startNs,
    durationNs,
    samples: [
      { stack: ['main.handle', 'main.main'], cpuNs: 40n * MS, labels: spanLabels(ids.goRoot, ids.goRoot, 'GET /go') },
    ],
  });
  return { startNs, durationNs, window, services, ids, pyTrace, pyProfile, nodeProfile, goProfile };
}

export type MeasureFixtures = ReturnType<typeof measureFixtures>;

/** Uploads the profiles through POST /v1/profiles, waits for their commit, and inserts the spans. */
export async function storeMeasureFixtures(deps: Deps, f: MeasureFixtures): Promise<void> {
  const uploads = await Promise.all([
    uploadProfile(f.pyProfile, { service: f.services.py }),
    uploadProfile(f.nodeProfile, { service: f.services.node }),
    uploadProfile(f.goProfile, { service: f.services.go }),
  ]);
  for (const upload of uploads) expect(upload.status).toBe(202);
  await waitForCommittedProfiles(
    deps,
    tenant,
    uploads.map((u) => u.body.profile_id ?? ''),
  );
  const span = (spanId: string, parentId: string, service: string, startMs: bigint, durationMs: bigint) =>
    spanRow({
      tenant,
      traceId: parentId === '0' ? traceOf(spanId) : f.pyTrace,
      spanId,
      parentId,
      service,
      startNs: f.startNs + startMs * MS,
      durationNs: durationMs * MS,
    });
  const { ids, services } = f;
  await deps.db.insert('spans', [
    span(ids.root, '0', services.py, 1000n, 1000n),
    span(ids.child, ids.root, services.py, 1100n, 400n),
    // Another service, which no profile covers, under the root: not profiled.
    span(ids.idle, ids.root, services.unprofiled, 1200n, 100n),
    span(ids.nodeRoot, '0', services.node, 2000n, 600n),
    span(ids.goRoot, '0', services.go, 3000n, 100n),
    span(ids.other, '0', services.py, 4000n, 300n),
  ]);
}
