-- Hotspots schema. Written in SQL that ClickHouse 18.16 (the local server) and current ClickHouse
-- both accept (test/integration/modern-clickhouse.test.ts runs it on 26.9): no codecs, skipping
-- indexes or LowCardinality; a TTL line is dropped on 18.16 (shared/platform/schema-features.ts).

-- One row per successfully processed profile. A row is written only after all of the profile's
-- samples are in, so it is the commit marker: queries read samples of committed ingest attempts
-- only, which makes a redelivered or half-processed envelope count exactly once.
CREATE TABLE IF NOT EXISTS profiles (
  tenant String,
  service String,
  profile_id String,
  ingest_id String,
  env String,
  version String,
  runtime_id String,
  start DateTime,
  start_ns Int64,
  duration_ns Int64,
  period Int64,
  period_type String,
  sample_types Array(String),
  sample_count UInt64,
  row_count UInt64,
  tag_keys Array(String),
  tag_values Array(String),
  s3_key String,
  received_at DateTime,
  committed_ns UInt64
) ENGINE = ReplacingMergeTree(committed_ns)
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, service, start, profile_id);

-- Exploded samples: one row per (sample, sample type). Sorted for the endpoint views
-- (tenant, service, type, time). ts is the profile's start second: pprof CPU samples carry no
-- time of their own.
CREATE TABLE IF NOT EXISTS samples (
  tenant String,
  service String,
  env String,
  version String,
  ts DateTime,
  profile_id String,
  ingest_id String,
  sample_type String,
  sample_unit String,
  value Int64,
  span_id UInt64,
  local_root_span_id UInt64,
  endpoint Nullable(String),
  trace_id String,
  label_keys Array(String),
  label_values Array(String),
  stack_id UInt64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, sample_type, ts);

-- Content-addressed: ids are hashes of what they hold, so duplicates are identical and merge away.
CREATE TABLE IF NOT EXISTS stacks (
  tenant String,
  stack_id UInt64,
  frame_ids Array(UInt64)
) ENGINE = ReplacingMergeTree
ORDER BY (tenant, stack_id);

CREATE TABLE IF NOT EXISTS frames (
  tenant String,
  frame_id UInt64,
  function_name String,
  system_name String,
  file_name String,
  line Int64
) ENGINE = ReplacingMergeTree
ORDER BY (tenant, frame_id);
