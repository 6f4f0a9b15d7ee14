-- Identity: local users, API tokens, and the append-only audit log.
--
-- users and api_tokens are versioned rows (ReplacingMergeTree by changed_at): a change appends a new
-- version; reads take the latest version per id (argMax / LIMIT 1 BY), so history stays auditable.
-- Passwords are stored only as scrypt hashes, tokens only as SHA-256 hashes (they are shown once).
CREATE TABLE IF NOT EXISTS {{db}}.users {{on_cluster}}
(
    user_id        String,
    email          String,
    name           String,
    role           LowCardinality(String),   -- viewer | plant_it | erp_support | finance | admin
    plants         Array(String),            -- empty: every plant
    password_hash  String,                   -- scrypt$N$r$p$salt$hash; empty for OIDC-only users
    disabled       Bool,
    changed_by     String,
    changed_at     DateTime64(3, 'UTC')
)
ENGINE = {{engine:ReplacingMergeTree(changed_at)}}
ORDER BY user_id;

CREATE TABLE IF NOT EXISTS {{db}}.api_tokens {{on_cluster}}
(
    token_id     String,
    name         String,
    role         LowCardinality(String),
    plants       Array(String),
    token_hash   String,                     -- hex SHA-256 of the token
    created_by   String,
    created_at   DateTime64(3, 'UTC'),
    revoked_at   Nullable(DateTime64(3, 'UTC')),
    changed_at   DateTime64(3, 'UTC')
)
ENGINE = {{engine:ReplacingMergeTree(changed_at)}}
ORDER BY token_id;

-- When a token was last used: one row per use, at most one a minute per token (throttled in the app).
CREATE TABLE IF NOT EXISTS {{db}}.api_token_uses {{on_cluster}}
(
    token_id  String,
    used_at   SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = {{engine:AggregatingMergeTree}}
ORDER BY token_id;

-- Who did what, when, to what, from where, and how it ended. Never updated, never deleted by the app.
-- ORDER BY (at, actor): the admin page reads newest first over a time range and filters by actor.
CREATE TABLE IF NOT EXISTS {{db}}.audit_log {{on_cluster}}
(
    at          DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    actor       String,
    actor_kind  LowCardinality(String),      -- user | token | system | anonymous
    action      LowCardinality(String),      -- e.g. sign_in, sign_in_failed, token_created, token_revoked, user_created
    target      String,
    plant       LowCardinality(String),
    outcome     LowCardinality(String),      -- ok | denied | failed
    ip          String,
    details     String CODEC(ZSTD(3))        -- JSON
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toYYYYMM(at)
ORDER BY (at, actor);
