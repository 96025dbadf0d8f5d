import type { SqlDatabase } from '../../platform/ports.js';
import { emptySql, sql } from '../../platform/sql.js';
import type { SpanRow } from '../answers.js';
import type { TreeSpan } from './span-tree.js';

// 64-bit columns arrive as JSON strings (output_format_json_quote_64bit_integers, see deps.ts).
const columns = sql`trace_id, span_id, parent_id, service, name, resource, type, env, version, runtime_id, start_ns,
  duration_ns, error`;

export async function findSpan(db: SqlDatabase, tenant: string, spanId: string): Promise<SpanRow | undefined> {
  const rows = await db.query<SpanRow>(
    sql`SELECT ${columns} FROM spans
      WHERE tenant = ${tenant}
        AND trace_id IN (SELECT trace_id FROM span_index WHERE tenant = ${tenant} AND span_id = ${BigInt(spanId)})
        AND span_id = ${BigInt(spanId)}
      ORDER BY ingested_ns DESC LIMIT 1`,
  );
  return rows[0];
}

export async function traceSpans(db: SqlDatabase, tenant: string, traceId: string, limit: number): Promise<SpanRow[]> {
  return db.query<SpanRow>(
    sql`SELECT ${columns} FROM spans WHERE tenant = ${tenant} AND trace_id = ${traceId}
      ORDER BY start_ns, span_id, ingested_ns DESC LIMIT 1 BY span_id LIMIT ${limit}`,
  );
}

/**
 * Parentage of a trace's spans (of one service when given), one row per span id (spans is a
 * ReplacingMergeTree): what its span tree needs, at most `limit`.
 */
export async function traceTreeSpans(
  db: SqlDatabase,
  tenant: string,
  traceId: string,
  limit: number,
  service?: string,
): Promise<TreeSpan[]> {
  const ofService = service === undefined ? emptySql : sql` AND service = ${service}`;
  return db.query<TreeSpan>(
    sql`SELECT toString(span_id) AS span_id, toString(parent_id) AS parent_id, service FROM spans
      WHERE tenant = ${tenant} AND trace_id = ${traceId}${ofService}
      LIMIT 1 BY span_id LIMIT ${limit}`,
  );
}
