-- Profiles the consumer dead-lettered, by tenant: what `GET /v1/profiles/{id}` answers for a
-- profile that will never be counted, and the web UI's list of a service's recent ingest errors.
-- The full dead letter (with the original record, for a replay) stays in S3 at dead_letter_key.
-- Only dead letters whose envelope parsed are here: without one there is no tenant to show it to.
-- A batch retried after its dead letters were written records them again; readers take the
-- latest row per profile (LIMIT 1 BY profile_id).
-- Statuses are kept 30 days: the TTL line is dropped on servers without TTL (ClickHouse < 19.6,
-- shared/platform/schema-features.ts), where readers apply the same 30 days.
CREATE TABLE IF NOT EXISTS ingest_failures (
  tenant String,
  service String,
  profile_id String,
  reason_code String,
  message String,
  failed_at DateTime,
  dead_letter_key String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(failed_at)
ORDER BY (tenant, service, failed_at, profile_id)
TTL failed_at + INTERVAL 30 DAY;
