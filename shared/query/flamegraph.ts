import { badRequest } from '../platform/errors.js';
import type { SqlDatabase } from '../platform/ports.js';
import type { FlameGraph } from './answers.js';
import { stacksToPprof } from './flame-tree/pprof-export.js';
import { boundFlameTree, buildFlameTree, collapsedStacks, countNodes, type WeightedStack } from './flame-tree/tree.js';
import { isCpu, type Measure, parseMeasure } from './measures.js';
import { singleValuedParams } from './query-params.js';
import { type CpuSelector, measureSource } from './sql/measure-source.js';
import { requestSelector } from './sql/request-spans.js';
import { checkMeasure } from './sql/scope-measures.js';
import { parseCpuSelector } from './sql/selector-params.js';
import { loadCpuStacks, type ResolvedStack } from './sql/stacks.js';

/**
 * `GET /v1/flamegraph`: a measure (CPU unless `measure=` says otherwise) of a span, a request, a
 * trace or a service window (optionally narrowed to endpoints) as a JSON tree, collapsed stacks or a gzipped pprof. Every format has the
 * same total; bounding the tree folds small nodes into "(other)" without changing any total.
 */
export type FlamegraphFormat = 'json' | 'collapsed' | 'pprof';

export interface FlamegraphQuery {
  tenant: string;
  selector: CpuSelector;
  measure: Measure;
  format: FlamegraphFormat;
  maxNodes: number;
}

export interface FlamegraphLimits {
  maxNodes: number;
  maxStacks: number;
  maxRangeSeconds: number;
  maxRequestSpans: number;
}

export function parseFlamegraphQuery(
  tenant: string,
  query: URLSearchParams,
  limits: FlamegraphLimits,
): FlamegraphQuery {
  singleValuedParams(query, ['endpoint']);
  const format = (query.get('format') ?? 'json') as FlamegraphFormat;
  if (!['json', 'collapsed', 'pprof'].includes(format)) throw badRequest('format must be json, collapsed or pprof');
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
    selector: parseCpuSelector(query, limits.maxRangeSeconds),
    measure: parseMeasure(query.get('measure')),
    format,
    maxNodes,
  };
}

export const OTHER_STACKS = '(other stacks)';

/** Root-first function names, with the value of unresolved stacks (beyond maxStacks) as one stack. */
export function weightedStacks(stacks: readonly ResolvedStack[], remainder: bigint): WeightedStack[] {
  const weighted = stacks.map((s) => ({ frames: s.frames.map((f) => f.functionName).reverse(), value: s.value }));
  if (remainder !== 0n) weighted.push({ frames: [OTHER_STACKS], value: remainder });
  return weighted;
}

export type FlamegraphResult =
  | {
      format: 'json';
      body: FlameGraph & { selector: CpuSelector };
    }
  | { format: 'collapsed'; body: string }
  | { format: 'pprof'; body: Buffer };

export async function flamegraph(
  db: SqlDatabase,
  query: FlamegraphQuery,
  limits: FlamegraphLimits,
): Promise<FlamegraphResult> {
  await checkMeasure(db, query.tenant, query.selector, query.measure);
  // A request's local root may be known only through the span tree (no local root labels).
  const selector =
    query.selector.kind === 'local_root'
      ? ((await requestSelector(db, query.tenant, query.selector.localRootSpanId, {
          maxRequestSpans: limits.maxRequestSpans,
          endpoints: query.selector.endpoints,
          measure: query.measure,
        })) ?? query.selector)
      : query.selector;
  const loaded = await loadCpuStacks(
    db,
    query.tenant,
    measureSource(query.tenant, selector, query.measure, 'stack'),
    limits.maxStacks,
  );
  if (query.format === 'pprof') {
    const window =
      query.selector.kind === 'service'
        ? {
            startNs: BigInt(Math.floor(query.selector.from)) * 1_000_000_000n,
            durationNs: BigInt(Math.ceil(query.selector.to - query.selector.from)) * 1_000_000_000n,
          }
        : {};
    const sampleType = { type: query.measure.type, unit: query.measure.unit };
    return {
      format: 'pprof',
      body: stacksToPprof(loaded.stacks, { remainderNs: loaded.remainder_ns, sampleType, ...window }),
    };
  }
  const stacks = weightedStacks(loaded.stacks, loaded.remainder_ns);
  if (query.format === 'collapsed') return { format: 'collapsed', body: collapsedStacks(stacks) };
  const { tree, truncated } = boundFlameTree(buildFlameTree(stacks), query.maxNodes);
  return {
    format: 'json',
    body: {
      selector: query.selector,
      measure: query.measure.name,
      unit: query.measure.unit,
      total_value: loaded.total_ns,
      ...(isCpu(query.measure) ? { total_cpu_ns: loaded.total_ns } : {}),
      node_count: countNodes(tree),
      max_nodes: query.maxNodes,
      truncated: truncated || loaded.remainder_ns !== 0n,
      tree,
    },
  };
}
