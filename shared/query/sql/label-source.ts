import { identifier, type Sql, sql, tuple, uint64Set } from '../../platform/sql.js';
import { committedServicesFilter, windowSeconds } from './committed.js';
import type { CpuSource } from './measure-source.js';

/**
 * Samples picked by label matchers (the Pyroscope query API's selectors), as a CpuSource over the
 * raw `samples` table: roll-ups keep no labels. Every sample label is a series label under its key
 * sanitised the Pyroscope way (each character outside [A-Za-z0-9_] becomes `_`: `trace endpoint`
 * is `trace_endpoint`); the service is `service_name`. As in PromQL, an absent label reads as the
 * empty string, and regular expressions are fully anchored with `.` matching newlines too (as in
 * Prometheus 3; ClickHouse's match() does so anyway). Values and patterns are bound as
 * literals by sql.ts, never spliced.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

export const SERVICE_LABEL = 'service_name';

export interface LabelSelection {
  /** Unix seconds, [from, to). */
  from: number;
  to: number;
  sampleType: string;
  sampleUnit: string;
  matchers: readonly LabelMatcher[];
  /** Decimal span ids: only samples labelled with one of them. */
  spanIds?: readonly string[];
  /**
   * Trace ids (32 lowercase hex digits): only samples of those traces, i.e. labelled with a span
   * the spans table puts in one of them, or carrying the trace id as a label (OTLP links).
   */
  traceIds?: readonly string[];
}

/**
 * The sample's label keys, sanitised (ClickHouse's replaceRegexpAll replaces per code point, as Go
 * does). The lambda's parameter has a name no statement uses as an alias: ClickHouse 18.16
 * substitutes a query's aliases into lambdas.
 */
export const sanitisedLabelKeys = sql`arrayMap(label_key -> replaceRegexpAll(label_key, '[^A-Za-z0-9_]', '_'), label_keys)`;

/** A label's value as a String expression over `samples` ('' when the sample lacks it). */
export function labelValue(name: string): Sql {
  if (name === SERVICE_LABEL) return identifier('service');
  // Index 0 (not found) reads the element type's default, ''.
  return sql`label_values[indexOf(${sanitisedLabelKeys}, ${name})]`;
}

export function matcherSql(matcher: LabelMatcher, value: Sql = labelValue(matcher.name)): Sql {
  switch (matcher.op) {
    case '=':
      return sql`${value} = ${matcher.value}`;
    case '!=':
      return sql`${value} != ${matcher.value}`;
    case '=~':
      return sql`match(${value}, ${`^(?s:${matcher.value})$`})`;
    case '!~':
      return sql`NOT match(${value}, ${`^(?s:${matcher.value})$`})`;
  }
}

function conjunction(parts: readonly Sql[]): Sql {
  return parts.reduce((all, part) => sql`${all} AND ${part}`, sql`1`);
}

/**
 * Samples of some traces. A sample's trace_id label is hex as sent: 32 digits, 16 for a 64-bit id, or
 * without leading zeros; each form of each id is compared.
 */
function traceFilter(tenant: string, traceIds: readonly string[]): Sql {
  const forms = [
    ...new Set(
      traceIds.flatMap((id) => [
        id,
        id.replace(/^0+(?=.)/, ''),
        ...(id.startsWith('0'.repeat(16)) ? [id.slice(16)] : []),
      ]),
    ),
  ];
  return sql`(span_id IN (SELECT span_id FROM spans WHERE tenant = ${tenant} AND trace_id IN ${tuple(traceIds)})
    OR trace_id IN ${tuple(forms)})`;
}

/** The WHERE clause of a selection over `samples`, committed attempts only. */
export function labelSelectionWhere(tenant: string, selection: LabelSelection): Sql {
  const { fromSec, toSec } = windowSeconds(selection.from, selection.to);
  const services = conjunction(
    selection.matchers.filter((m) => m.name === SERVICE_LABEL).map((m) => matcherSql(m, identifier('service'))),
  );
  const labels = conjunction(selection.matchers.filter((m) => m.name !== SERVICE_LABEL).map((m) => matcherSql(m)));
  const spans =
    selection.spanIds === undefined ? sql`1` : sql`span_id IN ${uint64Set(selection.spanIds.map((id) => BigInt(id)))}`;
  const traces = selection.traceIds === undefined ? sql`1` : traceFilter(tenant, selection.traceIds);
  return sql`tenant = ${tenant} AND ${services}
    AND sample_type = ${selection.sampleType} AND sample_unit = ${selection.sampleUnit}
    AND ts >= toDateTime(${fromSec}) AND ts < toDateTime(${toSec})
    AND ${labels} AND ${spans} AND ${traces}
    AND ${committedServicesFilter(tenant, services, fromSec, toSec)}`;
}

export function labelSource(tenant: string, selection: LabelSelection): CpuSource {
  return { table: identifier('samples'), where: labelSelectionWhere(tenant, selection), endpoint: sql`endpoint` };
}
