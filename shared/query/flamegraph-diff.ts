import { badRequest } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import type { FlameNode } from './answers.js';
import {
  boundDiffTree,
  collapsedDiff,
  countDiffNodes,
  type DiffNode,
  diffFlameTrees,
  type Scale,
} from './flame-tree/diff-tree.js';
import { stacksToPprof } from './flame-tree/pprof-export.js';
import { buildFlameTree, type WeightedStack } from './flame-tree/tree.js';
import { type FlamegraphLimits, weightedStacks } from './flamegraph.js';
import { type Measure, parseMeasure } from './measures.js';
import { singleValuedParams } from './query-params.js';
import { type CpuSelector, measureSource } from './sql/measure-source.js';
import { serviceRequestCount } from './sql/request-counts.js';
import { requestSelector } from './sql/request-spans.js';
import { checkMeasure } from './sql/scope-measures.js';
import { parseCpuSelector } from './sql/selector-params.js';
import { type LoadedStacks, loadCpuStacks } from './sql/stacks.js';

/**
 * `GET /v1/flamegraph/diff`: the flame graphs of two selections, A and B, merged frame by frame.
 *
 * Each side is a selection of `GET /v1/flamegraph` (service window with env/version/endpoints,
 * span, request or trace) written with an `a.` or `b.` prefix (`a.version=1.2&b.version=1.3`);
 * an unprefixed parameter is shared by both sides unless a side gives its own. A side naming its
 * own service, span_id, local_root_span_id or trace_id inherits none of the shared ones.
 * `normalize=absolute` (default) compares nanoseconds; `per_request` divides each side by its
 * requests (endpoint counts of a service window; 1 for a span, request or trace); `share` by the
 * side's total. Absolute figures are always given, exactly.
 */
export type DiffFormat = 'json' | 'collapsed' | 'pprof';
export type Normalize = 'absolute' | 'per_request' | 'share';

const SIDE_PARAMS = [
  'service',
  'from',
  'to',
  'env',
  'version',
  'endpoint',
  'span_id',
  'local_root_span_id',
  'trace_id',
];
const IDENTITY_PARAMS = ['service', 'span_id', 'local_root_span_id', 'trace_id'];
const SHARED_ONLY = ['measure', 'format', 'max_nodes', 'normalize', 'side'];
const REPEATABLE = ['endpoint', 'a.endpoint', 'b.endpoint'];

export interface DiffQuery {
  tenant: string;
  a: CpuSelector;
  b: CpuSelector;
  measure: Measure;
  format: DiffFormat;
  normalize: Normalize;
  /** For `format=pprof`: one side alone (for `-diff_base a b` from two files), or the diff. */
  side: 'a' | 'b' | 'diff';
  maxNodes: number;
}

/** The parameters of one side: its own (prefix stripped), else the shared ones. */
export function sideParams(query: URLSearchParams, side: 'a' | 'b'): URLSearchParams {
  const own = (name: string) => query.getAll(`${side}.${name}`);
  const ownsIdentity = IDENTITY_PARAMS.some((name) => own(name).length > 0);
  const result = new URLSearchParams();
  for (const name of SIDE_PARAMS) {
    const values =
      own(name).length > 0 ? own(name) : ownsIdentity && IDENTITY_PARAMS.includes(name) ? [] : query.getAll(name);
    for (const value of values) result.append(name, value);
  }
  return result;
}

function parseSide(query: URLSearchParams, side: 'a' | 'b', maxRangeSeconds: number): CpuSelector {
  try {
    return parseCpuSelector(sideParams(query, side), maxRangeSeconds);
  } catch (error) {
    if (error instanceof Error) error.message = `selection ${side.toUpperCase()}: ${error.message}`;
    throw error;
  }
}

export function parseDiffQuery(tenant: string, query: URLSearchParams, limits: FlamegraphLimits): DiffQuery {
  singleValuedParams(query, REPEATABLE);
  for (const name of query.keys()) {
    const bare = /^[ab]\./.test(name) ? name.slice(2) : name;
    const known = SIDE_PARAMS.includes(bare) || (bare === name && SHARED_ONLY.includes(name));
    if (!known) {
      const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
      throw badRequest(
        `unknown parameter ${JSON.stringify(shown)}: give ${SIDE_PARAMS.join(', ')} (shared, or per side as a.<name> / b.<name>) and ${SHARED_ONLY.join(', ')}`,
      );
    }
  }
  const format = (query.get('format') ?? 'json') as DiffFormat;
  if (!['json', 'collapsed', 'pprof'].includes(format)) throw badRequest('format must be json, collapsed or pprof');
  const normalize = (query.get('normalize') ?? 'absolute') as Normalize;
  if (!['absolute', 'per_request', 'share'].includes(normalize)) {
    throw badRequest('normalize must be absolute, per_request or share');
  }
  const side = (query.get('side') ?? 'diff') as DiffQuery['side'];
  if (!['a', 'b', 'diff'].includes(side)) throw badRequest('side must be a, b or diff');
  if (query.has('side') && format !== 'pprof') throw badRequest('side applies to format=pprof only');
  let maxNodes = limits.maxNodes;
  const requested = query.get('max_nodes');
  if (requested !== null) {
    if (!/^\d{1,7}$/.test(requested) || Number(requested) < 2 || Number(requested) > limits.maxNodes) {
      throw badRequest(`max_nodes must be between 2 and ${limits.maxNodes}`);
    }
    maxNodes = Number(requested);
  }
  return {
    tenant,
    a: parseSide(query, 'a', limits.maxRangeSeconds),
    b: parseSide(query, 'b', limits.maxRangeSeconds),
    measure: parseMeasure(query.get('measure')),
    format,
    normalize,
    side,
    maxNodes,
  };
}

export interface DiffSide {
  selector: CpuSelector;
  total_value: bigint;
  /** Requests behind the side (per_request only). */
  requests?: bigint;
}

export interface FlameGraphDiff {
  measure: string;
  unit: string;
  normalize: Normalize;
  a: DiffSide;
  b: DiffSide;
  node_count: number;
  max_nodes: number;
  truncated: boolean;
  tree: DiffNode;
}

export type DiffResult =
  | { format: 'json'; body: FlameGraphDiff }
  | { format: 'collapsed'; body: string }
  | { format: 'pprof'; body: Buffer };

async function loadSide(
  db: SqlDatabase,
  query: DiffQuery,
  selector: CpuSelector,
  limits: FlamegraphLimits,
): Promise<LoadedStacks> {
  await checkMeasure(db, query.tenant, selector, query.measure);
  const resolved =
    selector.kind === 'local_root'
      ? ((await requestSelector(db, query.tenant, selector.localRootSpanId, {
          maxRequestSpans: limits.maxRequestSpans,
          endpoints: selector.endpoints,
          measure: query.measure,
        })) ?? selector)
      : selector;
  return loadCpuStacks(
    db,
    query.tenant,
    measureSource(query.tenant, resolved, query.measure, 'stack'),
    limits.maxStacks,
  );
}

async function requestsOf(db: SqlDatabase, tenant: string, selector: CpuSelector, side: string): Promise<bigint> {
  if (selector.kind !== 'service') return 1n;
  const requests = await serviceRequestCount(db, tenant, selector);
  if (requests === 0n) {
    throw badRequest(
      `normalize=per_request needs endpoint counts, and selection ${side} has none in its window; use normalize=share`,
    );
  }
  return requests;
}

export async function flamegraphDiff(db: SqlDatabase, query: DiffQuery, limits: FlamegraphLimits): Promise<DiffResult> {
  const [a, b] = await Promise.all([loadSide(db, query, query.a, limits), loadSide(db, query, query.b, limits)]);
  const sampleType = { type: query.measure.type, unit: query.measure.unit };
  if (query.format === 'pprof') {
    if (query.side !== 'diff') {
      const one = query.side === 'a' ? a : b;
      return { format: 'pprof', body: stacksToPprof(one.stacks, { remainderNs: one.remainder_ns, sampleType }) };
    }
    return {
      format: 'pprof',
      body: stacksToPprof(b.stacks, {
        remainderNs: b.remainder_ns,
        sampleType,
        diffBase: { stacks: a.stacks, remainderNs: a.remainder_ns },
      }),
    };
  }
  const aStacks: WeightedStack[] = weightedStacks(a.stacks, a.remainder_ns);
  const bStacks: WeightedStack[] = weightedStacks(b.stacks, b.remainder_ns);
  if (query.format === 'collapsed') return { format: 'collapsed', body: collapsedDiff(aStacks, bStacks) };

  const sides = {
    a: { selector: query.a, total_value: a.total_ns },
    b: { selector: query.b, total_value: b.total_ns },
  };
  let scale: Scale = { kind: 'absolute' };
  let requests: { a?: bigint; b?: bigint } = {};
  if (query.normalize === 'per_request') {
    const [ra, rb] = await Promise.all([
      requestsOf(db, query.tenant, query.a, 'A'),
      requestsOf(db, query.tenant, query.b, 'B'),
    ]);
    requests = { a: ra, b: rb };
    scale = { kind: 'divide', a: ra, b: rb };
  } else if (query.normalize === 'share') {
    scale = { kind: 'divide', a: a.total_ns, b: b.total_ns };
  }
  const treeA: FlameNode = buildFlameTree(aStacks);
  const treeB: FlameNode = buildFlameTree(bStacks);
  const { tree, truncated } = boundDiffTree(diffFlameTrees(treeA, treeB, scale), query.maxNodes, scale);
  return {
    format: 'json',
    body: {
      measure: query.measure.name,
      unit: query.measure.unit,
      normalize: query.normalize,
      a: { ...sides.a, ...(requests.a !== undefined ? { requests: requests.a } : {}) },
      b: { ...sides.b, ...(requests.b !== undefined ? { requests: requests.b } : {}) },
      node_count: countDiffNodes(tree),
      max_nodes: query.maxNodes,
      truncated: truncated || a.remainder_ns !== 0n || b.remainder_ns !== 0n,
      tree,
    },
  };
}
