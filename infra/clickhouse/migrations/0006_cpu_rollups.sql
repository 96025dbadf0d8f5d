-- Roll-ups of CPU samples for the service-wide views (endpoint CPU, timeseries, service flame
-- graphs). A Go CPU profile holds one sample per (stack, labels), and the labels carry span ids,
-- so a profile's samples repeat each (endpoint, stack) many times; summing them per profile
-- attempt (ingest_id) keeps every figure exact — the committed-attempt filter still applies — and
-- reads far fewer rows than `samples`. The GROUP BY aggregates each insert block;
-- SummingMergeTree sums across blocks on merge; readers always sum() (merges are eventual).
-- Nullable columns cannot be sort keys, hence labelled + endpoint_name for the endpoint label.
-- POPULATE back-fills samples that existed before this migration.
CREATE MATERIALIZED VIEW IF NOT EXISTS cpu_by_endpoint
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts, env, version, labelled, endpoint_name, ingest_id)
POPULATE
AS SELECT tenant, service, ts, env, version, toUInt8(isNotNull(endpoint)) AS labelled,
  ifNull(endpoint, '') AS endpoint_name, ingest_id, sum(value) AS value
FROM samples
WHERE sample_type = 'cpu' AND sample_unit = 'nanoseconds'
GROUP BY tenant, service, ts, env, version, labelled, endpoint_name, ingest_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS cpu_by_stack
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts, env, version, labelled, endpoint_name, stack_id, ingest_id)
POPULATE
AS SELECT tenant, service, ts, env, version, toUInt8(isNotNull(endpoint)) AS labelled,
  ifNull(endpoint, '') AS endpoint_name, stack_id, ingest_id, sum(value) AS value
FROM samples
WHERE sample_type = 'cpu' AND sample_unit = 'nanoseconds'
GROUP BY tenant, service, ts, env, version, labelled, endpoint_name, stack_id, ingest_id;
