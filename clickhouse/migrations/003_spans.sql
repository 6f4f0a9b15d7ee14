-- OpenTelemetry spans, shaped like the OpenTelemetry ClickHouse exporter's otel_traces (snake_case),
-- with the business keys (mfg.* attributes) promoted to columns.
--
-- ReplacingMergeTree: a span redelivered over Kafka has the same key and collapses on merge; reads
-- dedupe with LIMIT 1 BY trace_id, span_id.
-- ORDER BY (service_name, span_name, toStartOfHour(timestamp), trace_id, span_id): per-system latency
-- reads a narrow range; (trace_id, span_id) last make the key unique per span.
-- PARTITION BY day and a short TTL: spans are bulky and matter for days, postings for the fiscal year.
-- Lookup by trace id or correlation id goes through bloom filters here, and the narrow
-- span_transactions table below for "which traces belong to this transaction".
CREATE TABLE IF NOT EXISTS {{db}}.spans {{on_cluster}}
(
    timestamp            DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    trace_id             String CODEC(ZSTD(1)),
    span_id              String CODEC(ZSTD(1)),
    parent_span_id       String CODEC(ZSTD(1)),
    trace_state          String CODEC(ZSTD(1)),
    span_name            LowCardinality(String),
    span_kind            LowCardinality(String),
    service_name         LowCardinality(String),
    resource_attributes  Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    scope_name           String CODEC(ZSTD(1)),
    scope_version        String CODEC(ZSTD(1)),
    span_attributes      Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    duration_ns          UInt64 CODEC(ZSTD(1)),
    status_code          LowCardinality(String),
    status_message       String CODEC(ZSTD(1)),
    events_timestamp     Array(DateTime64(9, 'UTC')) CODEC(ZSTD(1)),
    events_name          Array(LowCardinality(String)) CODEC(ZSTD(1)),
    events_attributes    Array(Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
    links_trace_id       Array(String) CODEC(ZSTD(1)),
    links_span_id        Array(String) CODEC(ZSTD(1)),
    links_trace_state    Array(String) CODEC(ZSTD(1)),
    links_attributes     Array(Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
    correlation_id       String CODEC(ZSTD(1)),
    plant                LowCardinality(String),
    flow                 LowCardinality(String),
    order_no             String CODEC(ZSTD(1)),
    material             String CODEC(ZSTD(1)),
    lot                  String CODEC(ZSTD(1)),
    ingested_at          DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_correlation_id correlation_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_duration duration_ns TYPE minmax GRANULARITY 1
)
ENGINE = {{engine:ReplacingMergeTree}}
PARTITION BY toDate(timestamp)
ORDER BY (service_name, span_name, toStartOfHour(timestamp), trace_id, span_id)
TTL toDateTime(timestamp) + INTERVAL {{spans_ttl_days}} DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

-- One narrow row per (correlation id, trace id): drill-down first finds the traces of a transaction
-- here (sorted by correlation_id, so a point lookup), then reads those traces' spans.
CREATE TABLE IF NOT EXISTS {{db}}.span_transactions {{on_cluster}}
(
    correlation_id  String,
    trace_id        String,
    first_start     SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_start      SimpleAggregateFunction(max, DateTime64(9, 'UTC')),
    spans           SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
ORDER BY (correlation_id, trace_id)
TTL toDateTime(last_start) + INTERVAL {{spans_ttl_days}} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.span_transactions_mv {{on_cluster}}
TO {{db}}.span_transactions
AS SELECT correlation_id, trace_id, min(timestamp) AS first_start, max(timestamp) AS last_start, count() AS spans
FROM {{db}}.spans
WHERE correlation_id != ''
GROUP BY correlation_id, trace_id;
