import { unprocessable } from '../../platform/errors.js';
import type { SqlDatabase } from '../../platform/ports.js';
import { sql } from '../../platform/sql.js';
import { CPU, type Measure } from '../measures.js';
import { type CpuSelector, lookupTables } from './measure-source.js';
import { spanTree } from './span-tree.js';
import { findSpan, traceTreeSpans } from './spans.js';

export async function hasRootSamples(
  db: SqlDatabase,
  tenant: string,
  spanId: string,
  measure: Measure = CPU,
): Promise<boolean> {
  const { byRoot, type } = lookupTables(measure);
  const rows = await db.query<{ n: string }>(
    sql`SELECT count() AS n FROM ${byRoot} WHERE tenant = ${tenant} AND local_root_span_id = ${BigInt(spanId)}${type}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Whether a trace holds a span of this id in this service (a parent in the same service). A row,
 * not a count: spans is a ReplacingMergeTree, and how many copies of a redelivered span remain
 * depends on when the server merged.
 */
async function hasServiceSpan(db: SqlDatabase, tenant: string, traceId: string, spanId: string, service: string) {
  const rows = await db.query<{ found: number }>(
    sql`SELECT 1 AS found FROM spans
      WHERE tenant = ${tenant} AND trace_id = ${traceId} AND span_id = ${BigInt(spanId)} AND service = ${service}
      LIMIT 1`,
  );
  return rows.length > 0;
}

/**
 * The selector of the request whose local root is `rootId`: samples (of the measure) labelled with
 * that local root when the tracer sets the label, else the spans of its same-service subtree (dd-trace-go
 * ≥ 2.11 labels span ids only). `undefined` when neither labels nor the span tree know it.
 *
 * The subtree is found from the spans of the root's service in its trace, read whole or not at
 * all: past `maxRequestSpans` of them the request cannot be summed exactly, and the answer is a
 * 422 naming the limit rather than a silently smaller figure.
 */
export async function requestSelector(
  db: SqlDatabase,
  tenant: string,
  rootId: string,
  options: { maxRequestSpans: number; endpoints?: string[] | undefined; measure?: Measure | undefined },
): Promise<CpuSelector | undefined> {
  const narrowed = options.endpoints ? { endpoints: options.endpoints } : {};
  if (await hasRootSamples(db, tenant, rootId, options.measure))
    return { kind: 'local_root', localRootSpanId: rootId, ...narrowed };
  const span = await findSpan(db, tenant, rootId);
  if (!span) return undefined;
  // A parent in the same service makes this span part of another request: no tree to read.
  if (span.parent_id !== '0' && (await hasServiceSpan(db, tenant, span.trace_id, span.parent_id, span.service))) {
    return undefined;
  }
  // A request never leaves its service: its spans are all among those of its service in the trace.
  const mates = await traceTreeSpans(db, tenant, span.trace_id, options.maxRequestSpans + 1, span.service);
  if (mates.length > options.maxRequestSpans) {
    throw unprocessable(
      `the request of span ${rootId} cannot be summed: its trace has more than ${options.maxRequestSpans} spans of service ${JSON.stringify(span.service)}, the most read to find a request from its spans (HOTSPOTS_MAX_REQUEST_SPANS)`,
    );
  }
  const tree = spanTree(mates);
  if (!tree.isLocalRoot(rootId)) return undefined;
  return { kind: 'span_set', spanIds: tree.requestSpanIds(rootId), ...narrowed };
}
