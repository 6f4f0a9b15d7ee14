-- The exceptions of each plant × flow × hour of occurred_at, built with the KPI rollup (migration 009,
-- ingest/rollups.ts) from the same raw rows through queries/transactions.ts: one row per transaction
-- whose current status is failed once every event and action is in, with what the exception list shows
-- (error, recoverability, attempts, exception_since, hand-set state and assignee). Ages are counted at
-- read time from exception_since. As with inventory_hourly (migration 011), a row counts only with the
-- kpi_hourly row of its (plant, flow, hour) that has the same built_at, for the hours that row may
-- answer for at the request's `at`; the exception views read raw rows for the rest
-- (queries/getExceptions.ts). ReplacingMergeTree(built_at): a rebuild's rows replace older ones on merge.
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

-- hours built before this table existed have no exception rows: drop their builds, so that they are
-- read raw until the builder has built them again, exceptions included
TRUNCATE TABLE IF EXISTS {{db}}.kpi_hourly {{on_cluster}};
