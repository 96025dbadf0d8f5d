-- Spans from the trace intakes (Datadog /v0.4 and /v0.5, OTLP/HTTP), and endpoint hit counts from
-- the Datadog profiling intake (event.json `endpoint_counts`).

-- Sorted for the trace view (all spans of one trace). Redelivery inserts identical rows again;
-- ReplacingMergeTree merges them away and queries read one row per span (LIMIT 1 BY span_id).
-- trace_id is 32 lowercase hex digits (128-bit; upper half from meta _dd.p.tid when present);
-- span ids are UInt64, never JS numbers.
CREATE TABLE IF NOT EXISTS spans (
  tenant String,
  trace_id String,
  span_id UInt64,
  parent_id UInt64,
  service String,
  name String,
  resource String,
  type String,
  env String,
  version String,
  runtime_id String,
  start DateTime,
  start_ns Int64,
  duration_ns Int64,
  error Int32,
  meta_keys Array(String),
  meta_values Array(String),
  metric_keys Array(String),
  metric_values Array(Float64),
  source String,
  ingested_ns UInt64
) ENGINE = ReplacingMergeTree(ingested_ns)
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, trace_id, span_id);

-- Span id → trace id, sorted by span id: a span lookup reads a few granules, never a whole window.
CREATE MATERIALIZED VIEW IF NOT EXISTS span_index
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, span_id, trace_id)
AS SELECT tenant, span_id, trace_id, start FROM spans;

-- Hits per endpoint over a profile's window, written with (and committed by) that profile.
CREATE TABLE IF NOT EXISTS endpoint_counts (
  tenant String,
  service String,
  env String,
  version String,
  ts DateTime,
  profile_id String,
  ingest_id String,
  endpoint String,
  count UInt64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts, endpoint);
