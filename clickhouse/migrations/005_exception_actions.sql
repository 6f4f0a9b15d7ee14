-- Actions people take on exceptions and transactions: acknowledge, assign, comment, resolve, reopen,
-- replay. Appended, never updated: every action keeps who, when and why, and shows in the
-- transaction's drill-down and the audit log.
--
-- ReplacingMergeTree on action_id: an action retried by a client (same action_id) is stored once.
-- ORDER BY (correlation_id, at, action_id): drill-down and the exception queue read one transaction's
-- actions in time order.
CREATE TABLE IF NOT EXISTS {{db}}.exception_actions {{on_cluster}}
(
    action_id       String,
    correlation_id  String,
    plant           LowCardinality(String),
    action          LowCardinality(String),   -- acknowledge | assign | comment | resolve | reopen | replay
    actor           String,                   -- user or token name
    assignee        String,
    comment         String,
    details         String CODEC(ZSTD(3)),    -- JSON: e.g. the replay request
    at              DateTime64(3, 'UTC')
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (correlation_id, at, action_id)
SETTINGS non_replicated_deduplication_window = 1000;
