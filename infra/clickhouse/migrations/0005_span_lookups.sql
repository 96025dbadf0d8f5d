-- Second orderings of CPU samples for span and request lookups (DESIGN.md "Data"): the main
-- samples table is sorted by (tenant, service, type, time) for endpoint views; these views keep
-- the labelled CPU rows sorted by span id and by local root span id, so a span's or a request's
-- samples are read from a few granules whatever the retained volume.
CREATE MATERIALIZED VIEW IF NOT EXISTS samples_by_span
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, span_id, ts)
AS SELECT tenant, span_id, local_root_span_id, service, env, version, ts, profile_id, ingest_id, value, endpoint, trace_id, stack_id
FROM samples
WHERE sample_type = 'cpu' AND sample_unit = 'nanoseconds' AND span_id != 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS samples_by_root
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, local_root_span_id, ts)
AS SELECT tenant, span_id, local_root_span_id, service, env, version, ts, profile_id, ingest_id, value, endpoint, trace_id, stack_id
FROM samples
WHERE sample_type = 'cpu' AND sample_unit = 'nanoseconds' AND local_root_span_id != 0;

-- Commit markers by profile id: the committed-attempt filter for lookups that start from a span
-- (and so know profile ids, not a service and window).
CREATE MATERIALIZED VIEW IF NOT EXISTS profile_commits
ENGINE = ReplacingMergeTree(committed_ns)
ORDER BY (tenant, profile_id)
AS SELECT tenant, profile_id, ingest_id, committed_ns, service, start, start_ns, duration_ns, runtime_id, sample_types, period
FROM profiles;
