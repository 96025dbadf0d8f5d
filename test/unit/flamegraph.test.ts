import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import {
  type FlamegraphLimits,
  type FlamegraphQuery,
  type FlamegraphResult,
  flamegraph,
  OTHER_STACKS,
  parseFlamegraphQuery,
  weightedStacks,
} from '../../shared/query/flamegraph.js';
import { CPU } from '../../shared/query/measures.js';
import type { ResolvedStack } from '../../shared/query/sql/stacks.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { type CannedAnswer, cpuSum, createFakeSqlDatabase } from '../support/fake-sql-database.js';

const limits: FlamegraphLimits = { maxNodes: 1000, maxStacks: 2, maxRangeSeconds: 24 * 3600, maxRequestSpans: 1000 };

const frame = (functionName: string) => ({ functionName, fileName: 'main.go', line: 1 });

/**
 * The two heaviest stacks (30 and 10 ns) fit the limit of two; the third row says there are more,
 * and the total, 52 ns, counts them all.
 */
const stackRows = [
  { stack_id: '1', frame_list: ['13', '12', '11'] },
  { stack_id: '2', frame_list: ['12', '11'] },
];
const frameRows = [
  { frame_id: '11', function_name: 'main.main', file_name: 'main.go', line: '1' },
  { frame_id: '12', function_name: 'main.handle', file_name: 'main.go', line: '1' },
  { frame_id: '13', function_name: 'json.Marshal', file_name: 'main.go', line: '1' },
];
const stackAnswers: CannedAnswer[] = [
  [
    /GROUP BY stack_id/,
    [
      { stack_id: '1', ...cpuSum(30n) },
      { stack_id: '2', ...cpuSum(10n) },
      { stack_id: '3', ...cpuSum(5n) },
    ],
  ],
  // Stacks and frames by the ids of the set the statement sends.
  [/FROM stacks\b/, (_, query) => stackRows.filter((s) => query.setOf('stack_id')?.includes(s.stack_id))],
  [/FROM frames\b/, (_, query) => frameRows.filter((f) => query.setOf('frame_id')?.includes(f.frame_id))],
  [/^SELECT toString\(sum\(bitShiftRight\(value, 32\)\)\) AS cpu_hi, .* AS cpu_lo FROM /, [cpuSum(52n)]],
];

const spanQuery = (format: FlamegraphQuery['format'], maxNodes = limits.maxNodes): FlamegraphQuery => ({
  tenant: 'acme',
  selector: { kind: 'span', spanId: '42' },
  measure: CPU,
  format,
  maxNodes,
});

function jsonBody(result: FlamegraphResult) {
  if (result.format !== 'json') throw new Error(`expected a JSON answer, got ${result.format}`);
  return result.body;
}

function pprofOf(result: FlamegraphResult): Profile {
  if (result.format !== 'pprof') throw new Error(`expected a pprof answer, got ${result.format}`);
  return Profile.decode(gunzipSync(result.body));
}

function collapsedTotal(result: FlamegraphResult): bigint {
  if (result.format !== 'collapsed') throw new Error(`expected collapsed stacks, got ${result.format}`);
  const lines = result.body.trim().split('\n');
  return lines.reduce((sum, line) => sum + BigInt(line.slice(line.lastIndexOf(' ') + 1)), 0n);
}

describe('parseFlamegraphQuery', () => {
  it('answers JSON with the configured node limit by default', () => {
    const query = parseFlamegraphQuery('acme', new URLSearchParams('span_id=42'), limits);

    expect(query).toEqual({
      tenant: 'acme',
      selector: { kind: 'span', spanId: '42' },
      measure: CPU,
      format: 'json',
      maxNodes: 1000,
    });
  });

  it('takes a smaller node limit and another format from the query', () => {
    const query = parseFlamegraphQuery('acme', new URLSearchParams('span_id=42&format=pprof&max_nodes=2'), limits);

    expect([query.format, query.maxNodes]).toEqual(['pprof', 2]);
  });

  it('refuses a format it cannot write', () => {
    expectHotspotsError(() => parseFlamegraphQuery('acme', new URLSearchParams('span_id=42&format=svg'), limits), {
      code: 'bad_request',
      message: 'format must be json, collapsed or pprof',
    });
  });

  it.each([['1'], ['1001'], ['1e3'], ['-5'], ['']])('refuses max_nodes=%s', (maxNodes) => {
    expectHotspotsError(
      () => parseFlamegraphQuery('acme', new URLSearchParams(`span_id=42&max_nodes=${maxNodes}`), limits),
      { code: 'bad_request', message: 'max_nodes must be between 2 and 1000' },
    );
  });
});

describe('weightedStacks', () => {
  const stacks: ResolvedStack[] = [{ value: 10n, frames: [frame('json.Marshal'), frame('main.main')] }];

  it('turns leaf-first frames into root-first function names', () => {
    expect(weightedStacks(stacks, 0n)).toEqual([{ frames: ['main.main', 'json.Marshal'], value: 10n }]);
  });

  it('adds the CPU of unresolved stacks as one "(other stacks)" stack', () => {
    expect(weightedStacks(stacks, 7n).at(-1)).toEqual({ frames: [OTHER_STACKS], value: 7n });
  });

  it('adds no stack for a zero remainder', () => {
    expect(weightedStacks(stacks, 0n)).toHaveLength(1);
  });
});

describe('flamegraph', () => {
  it('answers a JSON tree whose root holds the exact total, unresolved stacks included', async () => {
    const body = jsonBody(await flamegraph(createFakeSqlDatabase(stackAnswers), spanQuery('json'), limits));

    expect([body.total_cpu_ns, body.tree.value]).toEqual([52n, 52n]);
  });

  it('marks the tree truncated when stacks beyond the limit were folded into "(other stacks)"', async () => {
    const body = jsonBody(await flamegraph(createFakeSqlDatabase(stackAnswers), spanQuery('json'), limits));

    expect([body.truncated, body.tree.children.map((child) => child.name)]).toEqual([
      true,
      ['main.main', OTHER_STACKS],
    ]);
  });

  it('bounds the tree to the node limit without changing its total', async () => {
    const body = jsonBody(await flamegraph(createFakeSqlDatabase(stackAnswers), spanQuery('json', 3), limits));

    expect([body.node_count, body.max_nodes, body.tree.value]).toEqual([3, 3, 52n]);
  });

  it('answers the same total as collapsed stacks and as pprof', async () => {
    const [collapsed, pprof] = await Promise.all([
      flamegraph(createFakeSqlDatabase(stackAnswers), spanQuery('collapsed'), limits),
      flamegraph(createFakeSqlDatabase(stackAnswers), spanQuery('pprof'), limits),
    ]);

    const pprofTotal = pprofOf(pprof).sample.reduce((sum, s) => sum + BigInt(s.value[0] ?? 0), 0n);
    expect([collapsedTotal(collapsed), pprofTotal]).toEqual([52n, 52n]);
  });

  it('stamps a service window’s pprof with the whole seconds it covers', async () => {
    const query: FlamegraphQuery = {
      tenant: 'acme',
      selector: { kind: 'service', service: 'checkout', from: 1000.5, to: 1060.2 },
      measure: CPU,
      format: 'pprof',
      maxNodes: 1000,
    };

    const profile = pprofOf(await flamegraph(createFakeSqlDatabase(stackAnswers), query, limits));

    expect([BigInt(profile.timeNanos), BigInt(profile.durationNanos)]).toEqual([1_000_000_000_000n, 60_000_000_000n]);
  });

  it('reads a request through its same-service spans when no sample carries its local root label', async () => {
    const span = (span_id: string, parent_id: string, service: string) => ({
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id,
      parent_id,
      service,
      name: 'op',
      resource: 'r',
      type: 'web',
      env: '',
      version: '',
      runtime_id: '',
      start_ns: '0',
      duration_ns: '100',
      error: 0,
    });
    const spans = [
      span('1', '0', 'gateway'),
      span('2', '1', 'checkout'),
      span('3', '2', 'checkout'),
      span('4', '3', 'payments'),
    ];
    const db = createFakeSqlDatabase([
      ...stackAnswers,
      [/count\(\) AS n FROM samples_by_root/, [{ n: '0' }]],
      [/FROM span_index/, [span('2', '1', 'checkout')]],
      // Whether the parent is a span of the same service: span 1 is the gateway's.
      [
        /SELECT 1 AS found FROM spans\b/,
        (text) =>
          spans
            .filter((s) => text.includes(`span_id = ${s.span_id} AND service = '${s.service}'`))
            .slice(0, 1)
            .map(() => ({ found: 1 })),
      ],
      [/FROM spans\b/, (text) => spans.filter((s) => text.includes(`service = '${s.service}'`))],
    ]);
    const query: FlamegraphQuery = { ...spanQuery('json'), selector: { kind: 'local_root', localRootSpanId: '2' } };

    await flamegraph(db, query, limits);

    const stacksStatement = db.queries.find((q) => /GROUP BY stack_id/.test(q.text));
    expect([stacksStatement?.text, stacksStatement?.setOf('span_id')]).toEqual([
      expect.stringMatching(/FROM samples_by_span\s+WHERE tenant = 'acme' AND span_id IN _set_\w+ /),
      ['2', '3'],
    ]);
  });
});
