-- Rejected messages: everything that could not be decoded or validated, with its raw bytes, where it
-- came from and why. Nothing invalid is dropped silently and nothing invalid stops a stream.
--
-- raw_base64 holds the exact bytes (they may be invalid UTF-8, which JSON cannot carry); `raw` gives
-- them back as a String. ReplacingMergeTree on (stream, source, source_position): a Kafka message
-- redelivered after a crash has the same position and collapses.
CREATE TABLE IF NOT EXISTS {{db}}.rejects {{on_cluster}}
(
    received_at      DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    stream           LowCardinality(String),  -- postings | inventory | spans
    source           LowCardinality(String),  -- kafka | http | file
    source_position  String,                  -- topic/partition/offset, http request id + line, file + line
    line             UInt32,                  -- 1-based line in an HTTP body or file, 0 for Kafka
    reason           String,
    raw_base64       String CODEC(ZSTD(3)),
    raw_bytes        UInt32,
    raw              String ALIAS base64Decode(raw_base64)
)
ENGINE = {{engine:ReplacingMergeTree}}
PARTITION BY toYYYYMM(received_at)
ORDER BY (stream, source, source_position)
TTL toDateTime(received_at) + INTERVAL {{rejects_ttl_days}} DAY
SETTINGS non_replicated_deduplication_window = 1000;
