-- Per-plant SLA thresholds that override the contract's defaults (lib/sla.ts). A change is a new row;
-- the latest row per (plant, flow) is in force, so the history of policies stays readable.
CREATE TABLE IF NOT EXISTS {{db}}.sla_policies {{on_cluster}}
(
    plant              LowCardinality(String),
    flow               LowCardinality(String),
    threshold_minutes  UInt32,
    changed_by         String,
    changed_at         DateTime64(3, 'UTC')
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (plant, flow, changed_at);
