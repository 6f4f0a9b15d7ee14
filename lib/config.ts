// Plantline's configuration: every environment variable the project reads, parsed and checked once.
// The README's "Configuration" table documents each of them; keep the two in step.
import path from 'node:path';

export type StoreConfig =
  | { kind: 'embedded'; dataDir: string }
  | { kind: 'server'; url: string; user?: string; password?: string; database: string; cluster?: string };

export type Config = {
  port: number;
  /** Proxies in front of the app whose X-Forwarded-For entries are believed (lib/clientAddress.ts). */
  trustedProxies: number;
  store: StoreConfig;
  /** Database that holds Plantline's tables (server mode: CLICKHOUSE_DATABASE; embedded: `plantline`). */
  database: string;
  kafka: { brokers: string[]; groupId: string; clientId: string; sessionTimeoutMs: number; partitions: number } | null;
  simulator: boolean;
  ingestToken: string | undefined;
  adminToken: string | undefined;
  /** First start with no users: the admin's email, and its password (else a random one, printed once). */
  bootstrapAdmin: { email: string; password: string | undefined };
  ingest: {
    /**
     * false (`PLANTLINE_INGEST=off`): a web process only, beside `npm run ingest` in server mode: no HTTP
     * ingest, no Kafka consumer (a producer for replays), no rollup builder.
     */
    enabled: boolean;
    /** Rows that make a batch flush at once. */
    batchRows: number;
    /** Longest a row waits in a batch before it is flushed. */
    flushIntervalMs: number;
    /** Rows held in memory across all queues before sources pause (back-pressure). */
    maxBufferedRows: number;
    /**
     * What those rows may weigh before sources pause, whatever their number (rows with payloads near
     * the contract's 256 KiB limit): the serialized text's length (a byte a character for nearly all rows).
     */
    maxBufferedBytes: number;
    /** Largest HTTP ingest body accepted; larger bodies get 413 and nothing is written. */
    maxBodyBytes: number;
    /**
     * Longest an HTTP ingest request waits, before its body is read, for the writers to have room
     * (maxBufferedRows); then it is answered 503 with Retry-After and its body is not kept.
     */
    httpBusyWaitMs: number;
    /** Store connections the writers insert through, so that batches insert side by side. */
    writeConnections: number;
    /** Require the ingest token on POST /v1/traces too (OTLP exporters often run without one). */
    otlpRequiresToken: boolean;
    /** How often the KPI rollup builder rebuilds changed hours; 0 turns it off (views read raw rows). */
    rollupIntervalMs: number;
  };
  retention: { postingsDays: number; spansDays: number; rejectsDays: number };
};

export class ConfigError extends Error {}

/** PLANTLINE_MAX_BUFFERED_BYTES' default, also for pipelines built without it (tests, benchmarks). */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

function intVar(env: Record<string, string | undefined>, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name}=${raw}: expected a whole number ≥ ${min}`);
  return n;
}

function onOff(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.toLowerCase();
  if (v === 'on' || v === '1') return true;
  if (v === 'off' || v === '0') return false;
  throw new ConfigError(`${name}=${raw}: expected on or off`);
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const url = env.CLICKHOUSE_URL?.trim();
  const database = env.CLICKHOUSE_DATABASE?.trim() || 'plantline';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new ConfigError(`CLICKHOUSE_DATABASE=${database}: expected a plain identifier (letters, digits, _)`);
  }
  if (['system', 'information_schema', '_temporary_and_external_tables'].includes(database.toLowerCase())) {
    throw new ConfigError(`CLICKHOUSE_DATABASE=${database}: a database of ClickHouse itself; name one for Plantline (default plantline)`);
  }
  const cluster = env.CLICKHOUSE_CLUSTER?.trim() || undefined;
  if (cluster && !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(cluster)) {
    throw new ConfigError(`CLICKHOUSE_CLUSTER=${cluster}: expected a cluster name from remote_servers`);
  }
  const store: StoreConfig = url
    ? { kind: 'server', url, user: env.CLICKHOUSE_USER || undefined, password: env.CLICKHOUSE_PASSWORD || undefined, database, cluster }
    : { kind: 'embedded', dataDir: path.resolve(/*turbopackIgnore: true*/ env.PLANTLINE_DATA_DIR || './data') };
  if (!url && cluster) throw new ConfigError('CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL: the embedded store is a single node');

  const brokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  const simulator = onOff(env, 'PLANTLINE_SIMULATOR', store.kind === 'embedded');

  return {
    port: intVar(env, 'PORT', 3000, 0),
    trustedProxies: intVar(env, 'PLANTLINE_TRUSTED_PROXIES', 0, 0),
    store,
    database,
    kafka: brokers.length
      ? {
          brokers,
          groupId: env.PLANTLINE_KAFKA_GROUP || 'plantline-ingest',
          clientId: env.PLANTLINE_KAFKA_CLIENT_ID || 'plantline',
          // how long a consumer that died keeps its partitions before the group hands them on
          sessionTimeoutMs: intVar(env, 'PLANTLINE_KAFKA_SESSION_TIMEOUT_MS', 30_000, 6_000),
          partitions: intVar(env, 'PLANTLINE_KAFKA_PARTITIONS', 6, 1),
        }
      : null,
    simulator,
    ingestToken: env.PLANTLINE_INGEST_TOKEN || undefined,
    adminToken: env.PLANTLINE_ADMIN_TOKEN || undefined,
    bootstrapAdmin: { email: env.PLANTLINE_ADMIN_EMAIL || 'admin@plantline.local', password: env.PLANTLINE_ADMIN_PASSWORD || undefined },
    ingest: {
      enabled: onOff(env, 'PLANTLINE_INGEST', true),
      batchRows: intVar(env, 'PLANTLINE_BATCH_ROWS', 20_000, 1),
      flushIntervalMs: intVar(env, 'PLANTLINE_FLUSH_MS', 1_000, 1),
      maxBufferedRows: intVar(env, 'PLANTLINE_MAX_BUFFERED_ROWS', 200_000, 1),
      maxBufferedBytes: intVar(env, 'PLANTLINE_MAX_BUFFERED_BYTES', DEFAULT_MAX_BUFFERED_BYTES, 1024 * 1024),
      maxBodyBytes: intVar(env, 'PLANTLINE_MAX_BODY_BYTES', 8 * 1024 * 1024, 1024),
      httpBusyWaitMs: intVar(env, 'PLANTLINE_HTTP_BUSY_WAIT_MS', 5_000, 0),
      writeConnections: intVar(env, 'PLANTLINE_WRITE_CONNECTIONS', 1, 1),
      otlpRequiresToken: env.PLANTLINE_OTLP_REQUIRE_TOKEN === '1',
      rollupIntervalMs: intVar(env, 'PLANTLINE_ROLLUP_MS', 15_000, 0),
    },
    retention: {
      postingsDays: intVar(env, 'PLANTLINE_RETENTION_DAYS', 400, 1),
      spansDays: intVar(env, 'PLANTLINE_SPAN_RETENTION_DAYS', 30, 1),
      rejectsDays: intVar(env, 'PLANTLINE_REJECT_RETENTION_DAYS', 90, 1),
    },
  };
}
