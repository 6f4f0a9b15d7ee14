-- Inventory effects move into the kpi_hourly row of their build (rollup version 2): per plant × flow ×
-- hour, the non-zero sums that explain an inventory variance (CONTRACT §3) — stock still pending, stock
-- failed, stock the ERP posted more than once — as parallel arrays, one element per inventory key.
-- A key is the JSON array [plant, storage_location, material, lot, uom] (toJSONString: one text per
-- key, so the variance groups on one column and decodes the ≈ thousands of sums it returns, not every
-- row; LowCardinality: a plant has thousands of keys, repeated over every hour).
-- Being in the row itself, a build's effects are replaced with the row, and kpi_hourly FINAL (the
-- newest build) is all a read needs: no more matching inventory_hourly rows to the newest build.
-- Rows built before this (version 1) have empty arrays and are never trusted: the builder rebuilds them.
ALTER TABLE {{db}}.kpi_hourly {{on_cluster}}
    ADD COLUMN IF NOT EXISTS inventory_keys Array(LowCardinality(String)) DEFAULT [],
    ADD COLUMN IF NOT EXISTS inventory_pending Array(Decimal(38, 6)) DEFAULT [],
    ADD COLUMN IF NOT EXISTS inventory_failed Array(Decimal(38, 6)) DEFAULT [],
    ADD COLUMN IF NOT EXISTS inventory_duplicate Array(Decimal(38, 6)) DEFAULT [];

-- inventory_hourly (migration 011) is no longer read or written by this release. It stays, so that a
-- builder of the previous release still running beside this one (a rolling upgrade) keeps building
-- instead of failing on a missing table; its rows are never counted (version 1 builds are not trusted).
