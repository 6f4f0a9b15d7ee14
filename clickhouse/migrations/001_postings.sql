-- Posting results (CONTRACT §1.1): one row per delivered message, every attempt of every transaction.
--
-- Engine: ReplacingMergeTree. A duplicate delivery carries the same event_id and the same business
-- fields, so it has the same sort key and collapses when parts merge. Until a merge happens, reads
-- dedupe with `LIMIT 1 BY event_id` (or argMax), never FINAL.
-- ORDER BY (plant, flow, toStartOfHour(occurred_at), correlation_id, event_id): every view filters by
-- plant and flow and selects transactions by occurred_at, so a time range is a contiguous run of each
-- plant × flow (the views and the rollup builder read hours, not whole months); the attempts of one
-- transaction share its occurred_at and sit next to each other for drill-down (found through
-- transaction_keys); event_id last makes the key unique. index_granularity 2048 (not 8192): one
-- plant × flow × hour is a few hundred rows, so smaller granules let an hour's read skip more.
-- PARTITION BY month of occurred_at: month-end close reads one partition, retention drops whole months,
-- and every attempt of a transaction (same occurred_at) lands in the same partition so duplicates can merge.
-- Quantities are Decimal so sums are exact; absent numbers stay NULL rather than 0.
-- Small-vocabulary columns (plant, flow, status, systems, uom, …) are plain String, not
-- LowCardinality: inserting LowCardinality from JSON costs 2-3× as much CPU, and ingest is this table's
-- hot path; plant and flow lead the sort key, so they compress to almost nothing anyway.
CREATE TABLE IF NOT EXISTS {{db}}.postings {{on_cluster}}
(
    event_id          String,
    correlation_id    String,
    trace_id          String,
    flow              String,
    plant             String,
    source_system     String,
    target_system     String,
    status            String,
    attempt           UInt32,
    replay_of         String,
    occurred_at       DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    reported_at       DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    order_no          String,
    operation         String,
    material          String,
    lot               String,
    storage_location  String,
    document_no       String,
    posting_period    String,
    quantity          Nullable(Decimal(18, 6)),
    uom               String,
    stock_delta       Nullable(Decimal(18, 6)),
    unit_cost         Nullable(Decimal(18, 6)),
    error_code        String,
    error_category    String,
    error_message     String,
    error_recoverable Nullable(Bool),
    payload           String CODEC(ZSTD(3)),   -- the original business message, JSON text, for replay
    extra             String CODEC(ZSTD(3)),   -- unknown extra fields of the message, JSON text (kept, not rejected)
    source            String,                  -- kafka | http | file
    source_position   String,                  -- topic/partition/offset, request id + line, or file + line
    ingested_at       DateTime64(3, 'UTC') DEFAULT now64(3),
    -- drill-down and search look up one value across every plant: skip granules with bloom filters
    INDEX idx_correlation_id correlation_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_order_no order_no TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_material material TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_lot lot TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_document_no document_no TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{engine:ReplacingMergeTree}}
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (plant, flow, toStartOfHour(occurred_at), correlation_id, event_id)
TTL toDateTime(occurred_at) + INTERVAL {{postings_ttl_days}} DAY
SETTINGS non_replicated_deduplication_window = 1000, index_granularity = 2048;
