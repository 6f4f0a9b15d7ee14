-- KPI rollups: one row per plant × flow × hour of occurred_at with the transaction counts, SLA and
-- exception figures and the latency distribution of that hour's transactions (CONTRACT §3 as
-- computed by queries/transactions.ts). The overview, flow matrix and latency views read these rows
-- for whole hours they may trust and raw postings for the rest (queries/kpiRollup.ts decides).
--
-- A transaction's figures change whenever another of its events arrives (its current status is that
-- of its latest event), so the rollup cannot be a plain sum-on-insert view. Instead:
--   * kpi_changes counts, per plant × flow × hour, every row inserted into postings and every action
--     taken on an exception (two materialized views below): a counter that only grows;
--   * the rollup builder (ingest/rollups.ts) rebuilds an hour from raw rows and stores the counter it
--     read before reading them; a rollup row is trusted only while the counter still has that value,
--     and for an `at` no earlier than anything it counts.
-- A duplicate delivery bumps the counter too: it costs one rebuild, never a wrong figure.
-- An INSERT is not atomic across a table and its views (either may become visible first), so the
-- builder only builds an hour whose counter has not moved for a few seconds (last_change): by then
-- every row the counter counts is visible in postings.

CREATE TABLE IF NOT EXISTS {{db}}.kpi_changes {{on_cluster}}
(
    plant    String,
    flow     String,
    hour     DateTime('UTC'),
    changes  SimpleAggregateFunction(sum, UInt64),
    last_change SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = {{engine:AggregatingMergeTree}}
ORDER BY (hour, plant, flow)
TTL hour + INTERVAL {{postings_ttl_days}} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.kpi_changes_postings_mv {{on_cluster}}
TO {{db}}.kpi_changes
AS SELECT plant, flow, toStartOfHour(occurred_at) AS hour, count() AS changes, max(now64(3, 'UTC')) AS last_change
FROM {{db}}.postings
GROUP BY plant, flow, hour;

-- postings stored before this migration count as changes too (run again, it only costs rebuilds)
INSERT INTO {{db}}.kpi_changes (plant, flow, hour, changes, last_change)
SELECT plant, flow, toStartOfHour(occurred_at) AS hour, count() AS changes, max(now64(3, 'UTC')) AS last_change
FROM {{db}}.postings
GROUP BY plant, flow, hour;

-- actions name their transaction's flow and occurred_at, so they can mark its hour as changed
ALTER TABLE {{db}}.exception_actions {{on_cluster}}
    ADD COLUMN IF NOT EXISTS flow String AFTER plant,
    ADD COLUMN IF NOT EXISTS occurred_at DateTime64(3, 'UTC') AFTER flow;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.kpi_changes_actions_mv {{on_cluster}}
TO {{db}}.kpi_changes
AS SELECT plant, flow, toStartOfHour(occurred_at) AS hour, count() AS changes, max(now64(3, 'UTC')) AS last_change
FROM {{db}}.exception_actions
WHERE flow != ''
GROUP BY plant, flow, hour;

-- ReplacingMergeTree(built_at): a rebuild replaces the row; reads take the newest build per key.
-- ORDER BY hour first (both tables): every read is a time range across plants, a contiguous run here.
-- Counts of transactions by current status; first_pass = posted or failed with attempt 1 posted;
-- open_exceptions = failed and not resolved by hand. Nothing here depends on an SLA threshold: posted
-- within threshold is counted at read time from `latencies`, and open breaches (at − occurred_at >
-- threshold) from not_posted_occurred, each with the threshold in force at the request's `at`.
-- latencies: the posted transactions' latencies in ms, so quantiles over them (quantilesExactArray)
-- equal those computed from raw rows exactly; a plain array reads far faster than aggregate states.
-- built_at is the store's clock when the build began; the newest build of a key is the one that counts.
CREATE TABLE IF NOT EXISTS {{db}}.kpi_hourly {{on_cluster}}
(
    plant              String,
    flow               String,
    hour               DateTime('UTC'),
    built_at           DateTime64(3, 'UTC'),
    changes            UInt64,                      -- kpi_changes for this key when the build read it
    max_reported_at    DateTime64(3, 'UTC'),        -- trusted only for at >= this
    max_action_at      DateTime64(3, 'UTC'),        -- and for at >= this
    transactions       UInt64,
    posted             UInt64,
    failed             UInt64,
    pending            UInt64,
    first_pass         UInt64,
    open_exceptions    UInt64,
    not_posted_occurred Array(DateTime64(3, 'UTC')),
    latencies          Array(Int64) CODEC(ZSTD(1))
)
ENGINE = {{engine:ReplacingMergeTree(built_at)}}
ORDER BY (hour, plant, flow)
TTL hour + INTERVAL {{postings_ttl_days}} DAY;
