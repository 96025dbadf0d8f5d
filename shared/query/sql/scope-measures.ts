import { storedSampleTypeNames } from '../../platform/measure-names.js';
import type { SqlDatabase } from '../../platform/ports.js';
import { identifier, type Sql, sql } from '../../platform/sql.js';
import { type Measure, measureOfSampleType, NAMED_MEASURES, requireAvailable, sortMeasures } from '../measures.js';
import { windowSeconds } from './committed.js';
import { type CpuSelector, traceSpanIds } from './measure-source.js';

/**
 * Which measures a query's scope holds, to check a `type/unit` measure before reading it: a
 * service window's profiles (their sample types), or the labelled rows of a span, request or
 * trace (the non-CPU lookups; CPU is always there to ask for).
 */
export async function serviceMeasures(
  db: SqlDatabase,
  tenant: string,
  service: string,
  from: number,
  to: number,
): Promise<Measure[]> {
  const { fromSec, toSec } = windowSeconds(from, to);
  const rows = await db.query<{ t: string[] }>(
    sql`SELECT DISTINCT sample_types AS t FROM profiles
      WHERE tenant = ${tenant} AND service = ${service}
        AND start >= toDateTime(${fromSec}) AND start < toDateTime(${toSec})`,
  );
  return sortMeasures(rows.flatMap((r) => storedSampleTypeNames(r.t)).map(measureOfSampleType));
}

async function lookupMeasures(db: SqlDatabase, keys: { table: Sql; key: Sql }[]): Promise<Measure[]> {
  const found = await Promise.all(
    keys.map(({ table, key }) =>
      db.query<{ sample_type: string; sample_unit: string }>(
        sql`SELECT DISTINCT sample_type, sample_unit FROM ${table} WHERE ${key}`,
      ),
    ),
  );
  return sortMeasures(found.flat().map((r) => measureOfSampleType(`${r.sample_type}/${r.sample_unit}`)));
}

export function selectorMeasures(db: SqlDatabase, tenant: string, selector: CpuSelector): Promise<Measure[]> {
  const bySpan = identifier('measures_by_span');
  const byRoot = identifier('measures_by_root');
  switch (selector.kind) {
    case 'service':
      return serviceMeasures(db, tenant, selector.service, selector.from, selector.to);
    case 'span':
      return lookupMeasures(db, [
        { table: bySpan, key: sql`tenant = ${tenant} AND span_id = ${BigInt(selector.spanId)}` },
      ]);
    case 'local_root': {
      const id = BigInt(selector.localRootSpanId);
      return lookupMeasures(db, [
        { table: byRoot, key: sql`tenant = ${tenant} AND local_root_span_id = ${id}` },
        { table: bySpan, key: sql`tenant = ${tenant} AND span_id = ${id}` },
      ]);
    }
    case 'trace':
      return lookupMeasures(db, [
        { table: bySpan, key: sql`tenant = ${tenant} AND span_id IN (${traceSpanIds(tenant, selector.traceId)})` },
      ]);
    case 'span_set':
      return lookupMeasures(db, []);
  }
}

function describe(selector: CpuSelector): string {
  switch (selector.kind) {
    case 'service':
      return `service ${JSON.stringify(selector.service)} in this window`;
    case 'span':
      return `span ${selector.spanId}`;
    case 'local_root':
      return `the request of span ${selector.localRootSpanId}`;
    case 'trace':
      return `trace ${selector.traceId}`;
    case 'span_set':
      return 'these spans';
  }
}

/** A 400 unless the measure is a named one or the scope holds it (one query, only for `type/unit`). */
export async function checkMeasure(
  db: SqlDatabase,
  tenant: string,
  selector: CpuSelector,
  measure: Measure,
): Promise<void> {
  if (NAMED_MEASURES.includes(measure)) return;
  requireAvailable(measure, await selectorMeasures(db, tenant, selector), describe(selector));
}
