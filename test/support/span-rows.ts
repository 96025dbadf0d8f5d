/** A span as a test inserts it straight into ClickHouse's `spans` table, skipping the intake. */
export interface TestSpan {
  tenant: string;
  traceId: string;
  spanId: string;
  /** '0' for a root. */
  parentId: string;
  service: string;
  startNs: bigint;
  durationNs?: bigint;
  name?: string;
  resource?: string;
  env?: string;
  version?: string;
}

/** The `spans` row of `span`, every other column as the span consumer leaves it for a bare span. */
export function spanRow(span: TestSpan) {
  return {
    tenant: span.tenant,
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_id: span.parentId,
    service: span.service,
    name: span.name ?? 'op',
    resource: span.resource ?? '',
    type: 'web',
    env: span.env ?? '',
    version: span.version ?? '',
    runtime_id: '',
    start: Number(span.startNs / 1_000_000_000n),
    start_ns: span.startNs.toString(),
    duration_ns: (span.durationNs ?? 1_000_000_000n).toString(),
    error: 0,
    meta_keys: [],
    meta_values: [],
    metric_keys: [],
    metric_values: [],
    source: 'test',
    ingested_ns: '1',
  };
}
