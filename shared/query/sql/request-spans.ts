import type { SqlDatabase } from '../../platform/ports.js';
import { sql } from '../../platform/sql.js';
import type { CpuSelector } from './cpu-source.js';
import { spanTree } from './span-tree.js';
import { findSpan, traceSpans } from './spans.js';

/** Spans read to find a request when samples carry no local root label. */
const MAX_TRACE_SPANS = 10_000;

export async function hasRootSamples(db: SqlDatabase, tenant: string, spanId: string): Promise<boolean> {
  const rows = await db.query<{ n: string }>(
    sql`SELECT count() AS n FROM samples_by_root WHERE tenant = ${tenant} AND local_root_span_id = ${BigInt(spanId)}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * The CPU selector of the request whose local root is `rootId`: samples labelled with that local
 * root when the tracer sets the label, else the spans of its same-service subtree (dd-trace-go
 * ≥ 2.11 labels span ids only). `undefined` when neither labels nor the span tree know it.
 */
export async function requestSelector(
  db: SqlDatabase,
  tenant: string,
  rootId: string,
  endpoints?: string[],
): Promise<CpuSelector | undefined> {
  const narrowed = endpoints ? { endpoints } : {};
  if (await hasRootSamples(db, tenant, rootId)) return { kind: 'local_root', localRootSpanId: rootId, ...narrowed };
  const span = await findSpan(db, tenant, rootId);
  if (!span) return undefined;
  const mates = await traceSpans(db, tenant, span.trace_id, MAX_TRACE_SPANS);
  const tree = spanTree(mates);
  if (!tree.isLocalRoot(rootId)) return undefined;
  return { kind: 'span_set', spanIds: [...tree.requestSpanIds(rootId)], ...narrowed };
}
