-- Span and request lookups for every measure but CPU (wall, lock wait, allocations, …): the CPU
-- lookups of 0005 stay as they are, and these views hold the other labelled sample rows, sorted by
-- span id (or local root span id) and then by measure, so one span's wall or lock wait is read
-- from a few granules. Service-wide reads of these measures come from `samples` itself, whose sort
-- key starts with the sample type; the roll-ups of 0006 stay CPU-only.
-- POPULATE back-fills samples that existed before this migration.
CREATE MATERIALIZED VIEW IF NOT EXISTS measures_by_span
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, span_id, sample_type, sample_unit, ts)
POPULATE
AS SELECT tenant, span_id, local_root_span_id, service, env, version, ts, profile_id, ingest_id, sample_type,
  sample_unit, value, endpoint, trace_id, stack_id
FROM samples
WHERE NOT (sample_type = 'cpu' AND sample_unit = 'nanoseconds') AND span_id != 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS measures_by_root
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, local_root_span_id, sample_type, sample_unit, ts)
POPULATE
AS SELECT tenant, span_id, local_root_span_id, service, env, version, ts, profile_id, ingest_id, sample_type,
  sample_unit, value, endpoint, trace_id, stack_id
FROM samples
WHERE NOT (sample_type = 'cpu' AND sample_unit = 'nanoseconds') AND local_root_span_id != 0;
