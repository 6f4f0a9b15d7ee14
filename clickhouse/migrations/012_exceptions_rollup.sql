-- The exceptions of each plant × flow × hour of occurred_at, built with the KPI rollup (migration 009,
-- ingest/rollups.ts) from the same raw rows through queries/transactions.ts: one row per transaction
-- whose current status is failed once every event and action is in, with what the exception list shows
-- (error, recoverability, attempts, exception_since, hand-set state and assignee). Ages are counted at
-- read time from exception_since. As with inventory_hourly (migration 011), a row counts only with the
-- kpi_hourly row of its (plant, flow, hour) that has the same built_at, for the hours that row may
-- answer for at the request's `at`; the exception views read raw rows for the rest
-- (queries/getExceptions.ts). ReplacingMergeTree(built_at): a rebuild's row for a transaction that is
-- still failed replaces the older one on merge; rows of transactions no longer failed stay until TTL, and
-- never count, as they belong to an older build.
CREATE TABLE IF NOT EXISTS {{db}}.exceptions_hourly {{on_cluster}}
(
    plant            String,
    flow             String,
    hour             DateTime('UTC'),
    correlation_id   String,
    built_at         DateTime64(3, 'UTC'),
    order_no         String,
    material         String,
    error_code       String,
    error_category   String,
    error_message    String,
    recoverable      Nullable(Bool),
    attempts         UInt32,
    exception_since  DateTime64(3, 'UTC'),
    state            String,
    assignee         String
)
ENGINE = {{engine:ReplacingMergeTree(built_at)}}
ORDER BY (hour, plant, flow, correlation_id)
TTL hour + INTERVAL {{postings_ttl_days}} DAY;

-- which builder wrote a kpi_hourly row: reads trust only rows of the current version (ROLLUP_VERSION in
-- queries/kpiRollup.ts), so a builder of an older release still running beside a newer one (a rolling
-- upgrade) cannot make hours count whose exceptions it did not build
ALTER TABLE {{db}}.kpi_hourly {{on_cluster}}
    ADD COLUMN IF NOT EXISTS rollup_version UInt8 DEFAULT 0;

-- hours built before this table existed have no exception rows: drop their builds, so that they are
-- read raw until the builder has built them again, exceptions included
TRUNCATE TABLE IF EXISTS {{db}}.kpi_hourly {{on_cluster}};
