-- Generated from infra/clickhouse/migrations by shared/platform/cluster-schema.ts for cluster `hotspots` and
-- database `hotspots`: what `migrate` runs when HOTSPOTS_CLICKHOUSE_CLUSTER is set. Do not edit;
-- regenerate with `node --import tsx infra/local/migrate-cli.ts --print-cluster-schema`.

CREATE DATABASE IF NOT EXISTS hotspots ON CLUSTER hotspots;

CREATE TABLE IF NOT EXISTS hotspots.schema_migrations ON CLUSTER hotspots (name String, applied_at DateTime) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all-shards/hotspots/schema_migrations', '{replica}') ORDER BY name;

-- 0001_init.sql
CREATE TABLE IF NOT EXISTS hotspots.profiles_local ON CLUSTER hotspots (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hotspots/profiles_local', '{replica}', committed_ns)
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, service, start, profile_id);

CREATE TABLE IF NOT EXISTS hotspots.profiles ON CLUSTER hotspots AS hotspots.profiles_local
ENGINE = Distributed(hotspots, hotspots, profiles_local, cityHash64(tenant));

CREATE TABLE IF NOT EXISTS hotspots.samples_local ON CLUSTER hotspots (
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
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/hotspots/samples_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, sample_type, ts);

CREATE TABLE IF NOT EXISTS hotspots.samples ON CLUSTER hotspots AS hotspots.samples_local
ENGINE = Distributed(hotspots, hotspots, samples_local, cityHash64(tenant));

CREATE TABLE IF NOT EXISTS hotspots.stacks_local ON CLUSTER hotspots (
  tenant String,
  stack_id UInt64,
  frame_ids Array(UInt64)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hotspots/stacks_local', '{replica}')
ORDER BY (tenant, stack_id);

CREATE TABLE IF NOT EXISTS hotspots.stacks ON CLUSTER hotspots AS hotspots.stacks_local
ENGINE = Distributed(hotspots, hotspots, stacks_local, cityHash64(tenant));

CREATE TABLE IF NOT EXISTS hotspots.frames_local ON CLUSTER hotspots (
  tenant String,
  frame_id UInt64,
  function_name String,
  system_name String,
  file_name String,
  line Int64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hotspots/frames_local', '{replica}')
ORDER BY (tenant, frame_id);

CREATE TABLE IF NOT EXISTS hotspots.frames ON CLUSTER hotspots AS hotspots.frames_local
ENGINE = Distributed(hotspots, hotspots, frames_local, cityHash64(tenant));

-- 0002_spans_endpoint_counts.sql
CREATE TABLE IF NOT EXISTS hotspots.spans_local ON CLUSTER hotspots (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hotspots/spans_local', '{replica}', ingested_ns)
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, trace_id, span_id);

CREATE TABLE IF NOT EXISTS hotspots.spans ON CLUSTER hotspots AS hotspots.spans_local
ENGINE = Distributed(hotspots, hotspots, spans_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS hotspots.span_index_local ON CLUSTER hotspots
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hotspots/span_index_local', '{replica}')
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, span_id, trace_id)
AS SELECT tenant, span_id, trace_id, start FROM hotspots.spans_local;

CREATE TABLE IF NOT EXISTS hotspots.span_index ON CLUSTER hotspots AS hotspots.span_index_local
ENGINE = Distributed(hotspots, hotspots, span_index_local, cityHash64(tenant));

CREATE TABLE IF NOT EXISTS hotspots.endpoint_counts_local ON CLUSTER hotspots (
  tenant String,
  service String,
  env String,
  version String,
  ts DateTime,
  profile_id String,
  ingest_id String,
  endpoint String,
  count UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/hotspots/endpoint_counts_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts, endpoint);

CREATE TABLE IF NOT EXISTS hotspots.endpoint_counts ON CLUSTER hotspots AS hotspots.endpoint_counts_local
ENGINE = Distributed(hotspots, hotspots, endpoint_counts_local, cityHash64(tenant));

-- 0005_span_lookups.sql
CREATE MATERIALIZED VIEW IF NOT EXISTS hotspots.samples_by_span_local ON CLUSTER hotspots
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/hotspots/samples_by_span_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, span_id, ts)
AS SELECT tenant, span_id, local_root_span_id, service, env, version, ts, profile_id, ingest_id, value, endpoint, trace_id, stack_id
FROM hotspots.samples_local
WHERE sample_type = 'cpu' AND sample_unit = 'nanoseconds' AND span_id != 0;

CREATE TABLE IF NOT EXISTS hotspots.samples_by_span ON CLUSTER hotspots AS hotspots.samples_by_span_local
ENGINE = Distributed(hotspots, hotspots, samples_by_span_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS hotspots.samples_by_root_local ON CLUSTER hotspots
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/hotspots/samples_by_root_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, local_root_span_id, ts)
AS SELECT tenant, span_id, local_root_span_id, service, env, version, ts, profile_id, ingest_id, value, endpoint, trace_id, stack_id
FROM hotspots.samples_local
WHERE sample_type = 'cpu' AND sample_unit = 'nanoseconds' AND local_root_span_id != 0;

CREATE TABLE IF NOT EXISTS hotspots.samples_by_root ON CLUSTER hotspots AS hotspots.samples_by_root_local
ENGINE = Distributed(hotspots, hotspots, samples_by_root_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS hotspots.profile_commits_local ON CLUSTER hotspots
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hotspots/profile_commits_local', '{replica}', committed_ns)
ORDER BY (tenant, profile_id)
AS SELECT tenant, profile_id, ingest_id, committed_ns, service, start, start_ns, duration_ns, runtime_id, sample_types, period
FROM hotspots.profiles_local;

CREATE TABLE IF NOT EXISTS hotspots.profile_commits ON CLUSTER hotspots AS hotspots.profile_commits_local
ENGINE = Distributed(hotspots, hotspots, profile_commits_local, cityHash64(tenant));

-- 0006_cpu_rollups.sql
CREATE MATERIALIZED VIEW IF NOT EXISTS hotspots.cpu_by_endpoint_local ON CLUSTER hotspots
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/hotspots/cpu_by_endpoint_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts, env, version, labelled, endpoint_name, ingest_id)
POPULATE
AS SELECT tenant, service, ts, env, version, toUInt8(isNotNull(endpoint)) AS labelled,
  ifNull(endpoint, '') AS endpoint_name, ingest_id, sum(value) AS value
FROM hotspots.samples_local
WHERE sample_type = 'cpu' AND sample_unit = 'nanoseconds'
GROUP BY tenant, service, ts, env, version, labelled, endpoint_name, ingest_id;

CREATE TABLE IF NOT EXISTS hotspots.cpu_by_endpoint ON CLUSTER hotspots AS hotspots.cpu_by_endpoint_local
ENGINE = Distributed(hotspots, hotspots, cpu_by_endpoint_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS hotspots.cpu_by_stack_local ON CLUSTER hotspots
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/hotspots/cpu_by_stack_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts, env, version, labelled, endpoint_name, stack_id, ingest_id)
POPULATE
AS SELECT tenant, service, ts, env, version, toUInt8(isNotNull(endpoint)) AS labelled,
  ifNull(endpoint, '') AS endpoint_name, stack_id, ingest_id, sum(value) AS value
FROM hotspots.samples_local
WHERE sample_type = 'cpu' AND sample_unit = 'nanoseconds'
GROUP BY tenant, service, ts, env, version, labelled, endpoint_name, stack_id, ingest_id;

CREATE TABLE IF NOT EXISTS hotspots.cpu_by_stack ON CLUSTER hotspots AS hotspots.cpu_by_stack_local
ENGINE = Distributed(hotspots, hotspots, cpu_by_stack_local, cityHash64(tenant));

-- 0007_ingest_failures.sql
CREATE TABLE IF NOT EXISTS hotspots.ingest_failures_local ON CLUSTER hotspots (
  tenant String,
  service String,
  profile_id String,
  reason_code String,
  message String,
  failed_at DateTime,
  dead_letter_key String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/hotspots/ingest_failures_local', '{replica}')
PARTITION BY toYYYYMM(failed_at)
ORDER BY (tenant, service, failed_at, profile_id)
TTL failed_at + INTERVAL 30 DAY;

CREATE TABLE IF NOT EXISTS hotspots.ingest_failures ON CLUSTER hotspots AS hotspots.ingest_failures_local
ENGINE = Distributed(hotspots, hotspots, ingest_failures_local, cityHash64(tenant));

-- 0008_measure_lookups.sql
CREATE MATERIALIZED VIEW IF NOT EXISTS hotspots.measures_by_span_local ON CLUSTER hotspots
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/hotspots/measures_by_span_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, span_id, sample_type, sample_unit, ts)
POPULATE
AS SELECT tenant, span_id, local_root_span_id, service, env, version, ts, profile_id, ingest_id, sample_type,
  sample_unit, value, endpoint, trace_id, stack_id
FROM hotspots.samples_local
WHERE NOT (sample_type = 'cpu' AND sample_unit = 'nanoseconds') AND span_id != 0;

CREATE TABLE IF NOT EXISTS hotspots.measures_by_span ON CLUSTER hotspots AS hotspots.measures_by_span_local
ENGINE = Distributed(hotspots, hotspots, measures_by_span_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS hotspots.measures_by_root_local ON CLUSTER hotspots
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/hotspots/measures_by_root_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, local_root_span_id, sample_type, sample_unit, ts)
POPULATE
AS SELECT tenant, span_id, local_root_span_id, service, env, version, ts, profile_id, ingest_id, sample_type,
  sample_unit, value, endpoint, trace_id, stack_id
FROM hotspots.samples_local
WHERE NOT (sample_type = 'cpu' AND sample_unit = 'nanoseconds') AND local_root_span_id != 0;

CREATE TABLE IF NOT EXISTS hotspots.measures_by_root ON CLUSTER hotspots AS hotspots.measures_by_root_local
ENGINE = Distributed(hotspots, hotspots, measures_by_root_local, cityHash64(tenant));
