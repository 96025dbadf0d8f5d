import type { SqlDatabase } from '../../platform/ports.js';
import { sql } from '../../platform/sql.js';
import { type Measure, NAMED_MEASURES } from '../measures.js';
import { committedByProfileIds } from './committed.js';
import { type CpuSumRow, cpuSumColumns, cpuSumOf } from './cpu-sum.js';
import { lookupTables, traceSpanIds } from './measure-source.js';

/**
 * A measure's sums per span id, or per local root span id, over the spans of one trace: the
 * figures of a waterfall, one lookup read each (committed ingest attempts only).
 */
export async function traceMeasureBy(
  db: SqlDatabase,
  tenant: string,
  traceId: string,
  by: 'span_id' | 'local_root_span_id',
  measure: Measure,
): Promise<Map<string, bigint>> {
  const tables = lookupTables(measure);
  const table = by === 'span_id' ? tables.bySpan : tables.byRoot;
  const column = by === 'span_id' ? sql`span_id` : sql`local_root_span_id`;
  const key = sql`tenant = ${tenant} AND ${column} IN (${traceSpanIds(tenant, traceId)})${tables.type}`;
  const rows = await db.query<{ id: string } & CpuSumRow<'cpu'>>(
    sql`SELECT toString(${column}) AS id, ${cpuSumColumns('cpu')} FROM ${table}
      WHERE ${key} AND ${committedByProfileIds(tenant, sql`SELECT profile_id FROM ${table} WHERE ${key}`)}
      GROUP BY ${column}`,
  );
  return new Map(rows.map((r) => [r.id, cpuSumOf(r, 'cpu')]));
}

/** The measures a breakdown reads (CPU, wall, lock wait) and the answer's own, each once. */
export function breakdownMeasures(measure: Measure): Measure[] {
  return NAMED_MEASURES.includes(measure) ? [...NAMED_MEASURES] : [...NAMED_MEASURES, measure];
}
