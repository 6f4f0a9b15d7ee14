-- Rollup version 2 (ROLLUP_VERSION in queries/kpiRollup.ts): kpi_hourly is created again, with
--   * the hour's inventory effects in the build's own row: per plant × flow × hour, the non-zero sums
--     that explain an inventory variance (CONTRACT §3) — stock still pending, stock failed, stock the
--     ERP posted more than once — as parallel arrays, one element per inventory key. A key is the JSON
--     array [storage_location, material, lot, uom] (toJSONString: one text per key, so the variance
--     groups on one column and decodes the ≈ thousands of sums it returns, not every row). Being in the
--     row, a build's effects are replaced with it: kpi_hourly FINAL is all a read needs.
--   * builds ordered by (rollup_version, built_at) (build_version): a builder of an older release still
--     running during a rolling upgrade can never replace a current build, whatever its clock.
-- and kpi_changes learns which build each key has (`build`, written by the builder right after the
-- kpi_hourly row), so that deciding which hours a request may read from the rollup is one scan of
-- kpi_changes instead of a merge of both tables.
-- The builder builds every hour again (newest first); until then they are read raw.

-- SYNC: on a cluster the replicated table's metadata goes before it is created again at the same path
DROP TABLE IF EXISTS {{db}}.kpi_hourly {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{db}}.kpi_hourly {{on_cluster}}
(
    plant               String,
    flow                String,
    hour                DateTime('UTC'),
    built_at            DateTime64(3, 'UTC'),
    rollup_version      UInt8,
    -- what orders builds: the rollup version first, then the build's start on the store's clock
    build_version       UInt64 MATERIALIZED bitShiftLeft(toUInt64(rollup_version), 48) + toUInt64(toUnixTimestamp64Milli(built_at)),
    changes             UInt64,                      -- kpi_changes for this key when the build read it
    max_reported_at     DateTime64(3, 'UTC'),        -- trusted only for at >= this
    max_action_at       DateTime64(3, 'UTC'),        -- and for at >= this
    transactions        UInt64,
    posted              UInt64,
    failed              UInt64,
    pending             UInt64,
    first_pass          UInt64,
    open_exceptions     UInt64,
    not_posted_occurred Array(DateTime64(3, 'UTC')),
    latencies           Array(Int64) CODEC(ZSTD(1)),
    inventory_keys      Array(LowCardinality(String)),
    inventory_pending   Array(Decimal(38, 6)),
    inventory_failed    Array(Decimal(38, 6)),
    inventory_duplicate Array(Decimal(38, 6))
)
ENGINE = {{engine:ReplacingMergeTree(build_version)}}
ORDER BY (hour, plant, flow)
TTL hour + INTERVAL {{postings_ttl_days}} DAY;

-- the key's build that counts: (rollup_version, built_at, changes, max_reported_at, max_action_at) of
-- its greatest build, the same order as kpi_hourly's build_version; the counter's own rows leave it at
-- version 0, which every build passes
ALTER TABLE {{db}}.kpi_changes {{on_cluster}}
    ADD COLUMN IF NOT EXISTS build SimpleAggregateFunction(max, Tuple(UInt8, DateTime64(3, 'UTC'), UInt64, DateTime64(3, 'UTC'), DateTime64(3, 'UTC')))
        DEFAULT (0, toDateTime64(0, 3, 'UTC'), 0, toDateTime64(0, 3, 'UTC'), toDateTime64(0, 3, 'UTC'));

-- inventory_hourly (migration 011) is no longer read or written by this release. It stays, so that a
-- builder of the previous release still running beside this one keeps building instead of failing on a
-- missing table; its rows are never counted.
