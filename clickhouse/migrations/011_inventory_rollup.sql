-- Inventory effects per plant × flow × hour of occurred_at, built with the KPI rollup (migration 009,
-- ingest/rollups.ts) from the same raw rows: for the ERP-bound transactions with a stock_delta, the sums
-- that explain an inventory variance (CONTRACT §3) as those transactions stand once every event is in —
-- stock still pending, stock failed, stock the ERP posted more than once — per storage location,
-- material, lot and unit. Only non-zero sums are kept, so an hour of transactions posted once is no row.
-- A row counts only with the kpi_hourly row of its (plant, flow, hour) that has the same built_at: the
-- builder writes these rows first and that row last, so a read never mixes two builds, and rows an
-- older build left behind are never counted. The variance reads them for the hours kpi_hourly may
-- answer for at the cut-off (queries/getInventoryVariance.ts) and raw rows for the rest.
-- ReplacingMergeTree(built_at) on the full key: a rebuild's rows replace the older ones as parts merge.
CREATE TABLE IF NOT EXISTS {{db}}.inventory_hourly {{on_cluster}}
(
    plant             String,
    flow              String,
    hour              DateTime('UTC'),
    storage_location  String,
    material          String,
    lot               String,
    uom               String,
    built_at          DateTime64(3, 'UTC'),
    pending           Decimal(38, 6),
    failed            Decimal(38, 6),
    duplicate         Decimal(38, 6)
)
ENGINE = {{engine:ReplacingMergeTree(built_at)}}
ORDER BY (hour, plant, flow, storage_location, material, lot, uom)
TTL hour + INTERVAL {{postings_ttl_days}} DAY;
