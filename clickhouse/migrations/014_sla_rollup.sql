-- The SLA breach candidates of each plant × flow × hour of occurred_at (rollup version 3), built with the
-- KPI rollup (ingest/rollups.ts) from the same raw rows through queries/transactions.ts: one row per
-- transaction that is not posted once every event is in, or was posted later than the smallest
-- threshold a plant may set (MIN_SLA_MINUTES in lib/sla.ts). Whether a row is a breach depends on the
-- threshold in force at the request's `at` and, for a transaction not posted, on `at` itself, so the
-- SLA breach list works it out at read time (queries/getSlaBreaches.ts) with the same definition as
-- raw rows. As with exceptions_hourly (migration 012), a row counts only with the kpi_hourly row of
-- its (plant, flow, hour) that has the same built_at, for the hours that row may answer for at `at`.
-- kpi_hourly rows of version 2 were built without these rows: they are never trusted, and the builder
-- builds them again.
CREATE TABLE IF NOT EXISTS {{db}}.sla_hourly {{on_cluster}}
(
    plant           String,
    flow            String,
    hour            DateTime('UTC'),
    correlation_id  String,
    built_at        DateTime64(3, 'UTC'),
    order_no        String,
    occurred_at     DateTime64(3, 'UTC'),
    status          LowCardinality(String),
    latency_ms      Nullable(Int64)
)
ENGINE = {{engine:ReplacingMergeTree(built_at)}}
ORDER BY (hour, plant, flow, correlation_id)
TTL hour + INTERVAL {{postings_ttl_days}} DAY;
