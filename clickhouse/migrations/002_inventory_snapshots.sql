-- Inventory snapshots (CONTRACT §1.2): a balance as one system (MES, ERP, WMS) sees it at as_of.
--
-- ReplacingMergeTree keyed on every identifying field with snapshot_id last: a redelivered snapshot
-- collapses; reads dedupe with LIMIT 1 BY snapshot_id.
-- ORDER BY (plant, material, storage_location, lot, system, as_of): reconciliation reads the latest
-- snapshot per (plant, storage_location, material, lot) and system before a cut-off, a range scan here.
CREATE TABLE IF NOT EXISTS {{db}}.inventory_snapshots {{on_cluster}}
(
    snapshot_id       String,
    plant             LowCardinality(String),
    system            LowCardinality(String),
    storage_location  String,
    material          String,
    lot               String,
    quantity          Decimal(18, 6),
    uom               LowCardinality(String),
    unit_cost         Nullable(Decimal(18, 6)),
    as_of             DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    extra             String CODEC(ZSTD(3)),
    source            LowCardinality(String),
    source_position   String,
    ingested_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}
PARTITION BY toYYYYMM(as_of)
ORDER BY (plant, material, storage_location, lot, system, as_of, snapshot_id)
TTL toDateTime(as_of) + INTERVAL {{postings_ttl_days}} DAY
SETTINGS non_replicated_deduplication_window = 1000;
