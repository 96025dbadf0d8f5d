import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { big, getBytes, getExact } from '../support/api.js';
import { findGo, generateLabelledCpuProfile } from '../support/go-pprof.js';
import { buildCpuProfile, type ProfileSpec } from '../support/pprof-builder.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';

/**
 * GET /v1/flamegraph/diff through HTTP on the real stack: every figure of the diff is the
 * difference of the two single-selection flame graphs, to the nanosecond (generated profiles,
 * and two real Go runtime profiles), the folded form holds both sides' stacks, and the pprof with
 * A as diff base reads in `go tool pprof` exactly as `go tool pprof -diff_base a b` does.
 */
const tenant = 'test-a';
const exec = promisify(execFile);
let deps: Deps;
let dir: string;
beforeAll(async () => {
  deps = testDeps();
  dir = await mkdtemp(path.join(tmpdir(), 'hotspots-diff-'));
});
afterAll(async () => {
  await deps.close();
  await rm(dir, { recursive: true, force: true });
});

interface Node {
  name: string;
  value: number | bigint;
  self: number | bigint;
  children: Node[];
}
interface DiffNode {
  name: string;
  a_total: number | bigint;
  a_self: number | bigint;
  b_total: number | bigint;
  b_self: number | bigint;
  diff_total: number | bigint;
  diff_self: number | bigint;
  value: number | bigint;
  delta: number | bigint;
  only?: 'a' | 'b';
  scaled?: Record<string, number>;
  children: DiffNode[];
}
interface DiffBody {
  a: { total_value: number | bigint; requests?: number | bigint };
  b: { total_value: number | bigint; requests?: number | bigint };
  truncated: boolean;
  node_count: number;
  tree: DiffNode;
}

const MAX_NODES = '5000';

/** Figures by frame path ("all;main;f") of a flame graph. */
function byPath(node: Node, prefix = ''): Map<string, { total: bigint; self: bigint }> {
  const key = prefix === '' ? node.name : `${prefix};${node.name}`;
  const result = new Map([[key, { total: big(node.value), self: big(node.self) }]]);
  for (const child of node.children) for (const [k, v] of byPath(child, key)) result.set(k, v);
  return result;
}

function diffByPath(node: DiffNode, prefix = ''): Map<string, DiffNode> {
  const key = prefix === '' ? node.name : `${prefix};${node.name}`;
  const result = new Map([[key, node]]);
  for (const child of node.children) for (const [k, v] of diffByPath(child, key)) result.set(k, v);
  return result;
}

/** Asserts every node of the diff against the two single flame graphs, and that no path is missing. */
function expectDiffOfSingles(diff: DiffBody, a: Node, b: Node, scaled = false): number {
  const nodes = diffByPath(diff.tree);
  const sideA = byPath(a);
  const sideB = byPath(b);
  expect(new Set(nodes.keys())).toEqual(new Set([...sideA.keys(), ...sideB.keys()]));
  for (const [key, node] of nodes) {
    const x = sideA.get(key) ?? { total: 0n, self: 0n };
    const y = sideB.get(key) ?? { total: 0n, self: 0n };
    expect([key, big(node.a_total), big(node.a_self), big(node.b_total), big(node.b_self)]).toEqual([
      key,
      x.total,
      x.self,
      y.total,
      y.self,
    ]);
    expect(big(node.diff_total)).toBe(y.total - x.total);
    expect(big(node.diff_self)).toBe(y.self - x.self);
    if (!scaled) {
      expect(big(node.delta)).toBe(y.total - x.total);
      expect(big(node.value)).toBe(y.total + x.total);
    }
    expect(node.only).toBe(sideA.has(key) && sideB.has(key) ? undefined : sideA.has(key) ? 'a' : 'b');
  }
  expect(big(diff.a.total_value)).toBe(big(a.value));
  expect(big(diff.b.total_value)).toBe(big(b.value));
  return nodes.size;
}

function parseFolded(text: string, columns: number): Map<string, bigint[]> {
  const result = new Map<string, bigint[]>();
  for (const line of text.split('\n').filter(Boolean)) {
    const parts = line.split(' ');
    const values = parts.splice(parts.length - columns, columns).map(BigInt);
    result.set(parts.join(' '), values);
  }
  return result;
}

const functionPool = ['main.main', 'net/http.serve', 'json.Marshal', 'crypto.sha256', 'runtime.mallocgc', 'app.slow'];
const stackArb = fc.array(fc.constantFrom(...functionPool), { minLength: 1, maxLength: 5 });
const sampleArb = fc.record({
  stack: stackArb,
  ticks: fc.integer({ min: 1, max: 1000 }),
  endpoint: fc.constantFrom('GET /a', 'POST /b', undefined),
});

async function uploadVersion(
  service: string,
  version: string,
  samples: { stack: string[]; ticks: number; endpoint: string | undefined }[],
) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spec: ProfileSpec = {
    startNs: now - 60_000_000_000n,
    samples: samples.map((s) => ({
      stack: s.stack,
      // Odd nanoseconds: an exact comparison catches any rounding.
      cpuNs: BigInt(s.ticks) * 10_000_001n + 7n,
      ...(s.endpoint ? { labels: { 'trace endpoint': s.endpoint } } : {}),
    })),
  };
  const answer = await uploadProfile(buildCpuProfile(spec), { service, version });
  expect(answer.status).toBe(202);
  return answer.body.profile_id ?? '';
}

describe('GET /v1/flamegraph/diff', () => {
  it('equals the difference of the two single flame graphs for generated versions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sampleArb, { minLength: 1, maxLength: 30 }),
        fc.array(sampleArb, { minLength: 1, maxLength: 30 }),
        fc.constantFrom<string[]>([], ['GET /a'], ['GET /a', 'POST /b']),
        async (samplesA, samplesB, endpoints) => {
          const service = uniqueService('diff');
          const ids = [await uploadVersion(service, 'v1', samplesA), await uploadVersion(service, 'v2', samplesB)];
          await waitForCommittedProfiles(deps, tenant, ids);
          const now = Math.floor(Date.now() / 1000);
          const shared = new URLSearchParams({ service, from: String(now - 3600), to: String(now + 600) });
          for (const e of endpoints) shared.append('endpoint', e);
          const single = async (version: string) => {
            const q = new URLSearchParams(shared);
            q.set('version', version);
            q.set('max_nodes', MAX_NODES);
            const answer = await getExact<{ tree: Node }>(`/v1/flamegraph?${q}`);
            expect(answer.status).toBe(200);
            return answer.body.tree;
          };
          const diffQuery = new URLSearchParams(shared);
          diffQuery.set('a.version', 'v1');
          diffQuery.set('b.version', 'v2');
          diffQuery.set('max_nodes', MAX_NODES);
          const diff = await getExact<DiffBody>(`/v1/flamegraph/diff?${diffQuery}`);
          expect(diff.status).toBe(200);
          expect(diff.body.truncated).toBe(false);
          const [a, b] = [await single('v1'), await single('v2')];
          expectDiffOfSingles(diff.body, a, b);

          // Share: each side divided by its total (scaled figures), absolute figures unchanged.
          diffQuery.set('normalize', 'share');
          const share = await getExact<DiffBody>(`/v1/flamegraph/diff?${diffQuery}`);
          expectDiffOfSingles(share.body, a, b, true);
          const root = share.body.tree;
          if (big(a.value) > 0n) expect(root.scaled?.a_total).toBe(1);
          if (big(b.value) > 0n) expect(root.scaled?.b_total).toBe(1);
          for (const node of diffByPath(root).values()) {
            const at = big(a.value) === 0n ? 0 : Number(big(node.a_total)) / Number(big(a.value));
            expect(node.scaled?.a_total).toBeCloseTo(at, 12);
            expect(node.delta).toBeCloseTo((node.scaled?.b_total ?? 0) - (node.scaled?.a_total ?? 0), 12);
          }

          // Folded: `stack A B` lines are the single graphs' folded lines side by side.
          diffQuery.set('format', 'collapsed');
          diffQuery.delete('normalize');
          const folded = parseFolded((await getBytes(`/v1/flamegraph/diff?${diffQuery}`)).bytes.toString('utf8'), 2);
          const singleFolded = async (version: string) => {
            const q = new URLSearchParams(shared);
            q.set('version', version);
            q.set('format', 'collapsed');
            return parseFolded((await getBytes(`/v1/flamegraph?${q}`)).bytes.toString('utf8'), 1);
          };
          const [fa, fb] = [await singleFolded('v1'), await singleFolded('v2')];
          expect(new Set(folded.keys())).toEqual(new Set([...fa.keys(), ...fb.keys()]));
          for (const [stack, [x, y]] of folded) {
            expect([stack, x, y]).toEqual([stack, fa.get(stack)?.[0] ?? 0n, fb.get(stack)?.[0] ?? 0n]);
          }
        },
      ),
      { numRuns: 5 },
    );
  }, 240_000);

  it('diffs two real Go runtime profiles exactly, and its pprof reads as go tool pprof -diff_base', async () => {
    const service = uniqueService('godiff');
    const ids: string[] = [];
    for (const version of ['v1', 'v2']) {
      const file = path.join(dir, `${version}.pb.gz`);
      await generateLabelledCpuProfile(file, { durationMs: 1500, idSalt: Math.floor(Math.random() * 2 ** 31) });
      const answer = await uploadProfile(await readFile(file), { service, version });
      expect(answer.status).toBe(202);
      ids.push(answer.body.profile_id ?? '');
    }
    await waitForCommittedProfiles(deps, tenant, ids);
    const now = Math.floor(Date.now() / 1000);
    const window = { service, from: String(now - 3600), to: String(now + 600), max_nodes: MAX_NODES };
    const single = async (version: string) =>
      (await getExact<{ tree: Node }>(`/v1/flamegraph?${new URLSearchParams({ ...window, version })}`)).body.tree;
    const diffParams = { ...window, 'a.version': 'v1', 'b.version': 'v2' };
    const diff = await getExact<DiffBody>(`/v1/flamegraph/diff?${new URLSearchParams(diffParams)}`);
    expect(diff.status).toBe(200);
    const nodes = expectDiffOfSingles(diff.body, await single('v1'), await single('v2'));
    expect(nodes).toBeGreaterThan(5);

    // The pprof diff, and each side alone for go tool pprof's own -diff_base.
    const fetchPprof = async (side: string) => {
      const query = new URLSearchParams({ ...diffParams, format: 'pprof', ...(side ? { side } : {}) });
      const answer = await getBytes(`/v1/flamegraph/diff?${query}`);
      expect(answer.status).toBe(200);
      const file = path.join(dir, `diff-${side || 'both'}.pb.gz`);
      await writeFile(file, answer.bytes);
      return file;
    };
    const [both, a, b] = [await fetchPprof(''), await fetchPprof('a'), await fetchPprof('b')];
    const go = await findGo();
    const top = async (...args: string[]) =>
      (
        await exec(go, ['tool', 'pprof', '-top', '-nodecount=100000', '-unit=ns', ...args], {
          maxBuffer: 64 * 1024 * 1024,
          timeout: 180_000,
        })
      ).stdout;
    const ours = await top(both);
    const theirs = await top('-diff_base', a, b);
    // "Showing nodes accounting for <B − A>, …% of <A's total> total", then one line per function.
    const summary = (text: string) => /Showing nodes accounting for (-?\d+)ns, .* of (\d+)ns total/.exec(text);
    const [, oursShown, oursTotal] = summary(ours) ?? [];
    const [, theirsShown, theirsTotal] = summary(theirs) ?? [];
    expect(oursShown).toBeDefined();
    expect([oursShown, oursTotal]).toEqual([theirsShown, theirsTotal]);
    expect(BigInt(oursShown ?? 'x')).toBe(big(diff.body.tree.diff_total));
    expect(BigInt(oursTotal ?? 'x')).toBe(big(diff.body.a.total_value));
    const rows = (text: string) => text.slice(text.indexOf('flat%')).split('\n').slice(1).filter(Boolean).sort();
    expect(rows(ours)).toEqual(rows(theirs));
    // Each function's flat figure is its self difference summed over the diff tree.
    const flatByFunction = new Map<string, bigint>();
    for (const node of diffByPath(diff.body.tree).values()) {
      if (node.name === 'all') continue;
      flatByFunction.set(node.name, (flatByFunction.get(node.name) ?? 0n) + big(node.diff_self));
    }
    for (const line of rows(ours)) {
      const [flat, , , , , ...name] = line.trim().split(/\s+/);
      expect([name.join(' '), BigInt((flat ?? '').replace('ns', ''))]).toEqual([
        name.join(' '),
        flatByFunction.get(name.join(' ')),
      ]);
    }
  }, 300_000);

  it('refuses unknown and malformed parameters with a 400 naming them', async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = { service: 's', from: String(now - 60), to: String(now) };
    for (const [params, pattern] of [
      [{ ...base, a_version: 'v1' }, /unknown parameter "a_version"/],
      [{ ...base, 'c.version': 'v1' }, /unknown parameter "c.version"/],
      [{ ...base, normalize: 'per_hour' }, /normalize must be/],
      [{ ...base, side: 'a' }, /side applies to format=pprof only/],
      [{ from: base.from, to: base.to, 'a.service': 's' }, /selection B: service is required/],
      [{ ...base, 'b.span_id': '0' }, /selection B: span_id must be/],
      [{ ...base, 'a.from': 'yesterday' }, /selection A/],
    ] as const) {
      const answer = await getExact<{ error: { message: string } }>(
        `/v1/flamegraph/diff?${new URLSearchParams(params as Record<string, string>)}`,
      );
      expect([answer.status, answer.body.error.message]).toEqual([400, expect.stringMatching(pattern)]);
    }
  });
});
