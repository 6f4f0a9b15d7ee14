-- Unit-of-measure conversions per material, for reconciliation: MES and ERP may count one material
-- in different units (KG on the shop floor, G in ERP). quantity_in_to_uom = quantity × factor.
-- The latest row per (material, from_uom, to_uom) is in force. A pair with no row is flagged by the
-- variance view, never silently summed.
CREATE TABLE IF NOT EXISTS {{db}}.uom_conversions {{on_cluster}}
(
    material    String,
    from_uom    LowCardinality(String),
    to_uom      LowCardinality(String),
    factor      Decimal(18, 9),
    changed_at  DateTime64(3, 'UTC')
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (material, from_uom, to_uom, changed_at);
