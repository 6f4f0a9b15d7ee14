-- Where each transaction lives in postings: one narrow row per (correlation_id, plant, flow, hour of
-- occurred_at), sorted by correlation_id. Drill-down reads it first (a point lookup), then reads the
-- transaction's events through postings' own sort key (plant, flow, hour, correlation_id) instead of
-- probing every granule's bloom filter across every month; the hour also bounds the spans it reads.
-- ReplacingMergeTree: every event of a transaction writes the same row; they collapse on merge and
-- reads use DISTINCT.
CREATE TABLE IF NOT EXISTS {{db}}.transaction_keys {{on_cluster}}
(
    correlation_id  String,
    plant           String,
    flow            String,
    hour            DateTime('UTC')
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (correlation_id, plant, flow, hour)
TTL hour + INTERVAL {{postings_ttl_days}} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.transaction_keys_mv {{on_cluster}}
TO {{db}}.transaction_keys
AS SELECT DISTINCT correlation_id, plant, flow, toStartOfHour(occurred_at) AS hour
FROM {{db}}.postings;

-- transactions stored before this migration (run again, rows only repeat and collapse)
INSERT INTO {{db}}.transaction_keys (correlation_id, plant, flow, hour)
SELECT DISTINCT correlation_id, plant, flow, toStartOfHour(occurred_at)
FROM {{db}}.postings;
