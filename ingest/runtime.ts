// The ingest service as one object: store connections, migrations, the pipeline, the Kafka source and
// health. The embedded server (web + ingest in one process) and `npm run ingest` both start one.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isUnreachable, openStore, queryRows, sql, type Store } from '../clickhouse/client';
import { migrate, migrateServer, renderOptions } from '../clickhouse/migrate';
import type { Config } from '../lib/config';
import { createIngestHandler } from './http';
import { KafkaSource } from './kafka';
import { IngestPipeline } from './pipeline';
import { RollupBuilder } from './rollups';

export type IngestRuntime = {
  config: Config;
  writeStore: Store;
  readStore: Store;
  pipeline: IngestPipeline;
  kafka: KafkaSource | null;
  rollups: RollupBuilder;
  ingestToken: string;
  handler: ReturnType<typeof createIngestHandler>;
  health(): Promise<{ ok: boolean; body: HealthReport }>;
  stop(): Promise<void>;
};

export type HealthReport = {
  status: 'ok' | 'degraded' | 'down';
  backend: 'chdb' | 'server';
  store: { ok: boolean; latency_ms: number | null; error: string | null };
  ingest: {
    sources: Record<string, unknown>;
    accepted: Record<string, number>;
    /** rejects the DLQ topic did not take: each is in the rejects table */
    dead_letters: { unpublished: number; lastError: string | null };
    buffered_rows: number;
    buffered_bytes: number;
    saturated: boolean;
    writers: unknown[];
  };
  rejects: Record<string, number>;
  consumer_lag: number | null;
  rollups: RollupBuilder['stats'];
};

/**
 * The ingest token: PLANTLINE_INGEST_TOKEN, or one generated at first start, kept (mode 600) in the
 * data directory and printed that once, so edge agents can be configured with it.
 */
export function resolveIngestToken(config: Config, dataDir = config.store.kind === 'embedded' ? config.store.dataDir : path.resolve('./data')): string {
  if (config.ingestToken) return config.ingestToken;
  const file = path.join(dataDir, 'ingest-token');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const token = `pl_ingest_${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  console.log(`\nPlantline generated an ingest token (kept in ${file}; shown this once):\n  ${token}\n`);
  return token;
}

/**
 * Server mode: ClickHouse may come up after Plantline (both started together, or restarted). `step` is
 * tried again with a growing pause (1 s to 15 s) for as long as ClickHouse does not answer, each wait
 * reported to `onWaiting`; any other error (a wrong password, a refused statement) ends the start.
 */
export async function untilStoreAnswers<T>(step: () => Promise<T>, onWaiting: (error: string, retryMs: number) => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (e) {
      if (!isUnreachable(e)) throw e;
      const retryMs = Math.min(15_000, 1_000 * 2 ** attempt);
      onWaiting((e as Error).message || String((e as { code?: unknown }).code), retryMs);
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
}

export async function startIngestRuntime(
  config: Config,
  opts: { kafka?: boolean; log?: (m: string) => void; onWaitingForStore?: (error: string, retryMs: number) => void } = {},
): Promise<IngestRuntime> {
  const log = opts.log ?? ((m: string) => console.error(`[ingest] ${m}`));
  if (config.store.kind === 'server') {
    const host = new URL(config.store.url).host;
    const onWaiting = (error: string, retryMs: number) => {
      log(`ClickHouse at ${host} does not answer (${error}); trying again in ${retryMs / 1000} s`);
      opts.onWaitingForStore?.(error, retryMs);
    };
    // the database may not exist yet: create it (and the tables) through a connection without one
    await untilStoreAnswers(() => migrateServer(config), onWaiting);
  }
  const writeStore = await openStore(config, 'write');
  if (config.store.kind === 'embedded') await migrate(writeStore, renderOptions(config));
  const readStore = await openStore(config, 'read');
  // more write connections let one table's batches insert side by side (chDB queues operations per connection)
  const extraWriters = await Promise.all(Array.from({ length: config.ingest.writeConnections - 1 }, () => openStore(config, 'write')));
  const pipeline = new IngestPipeline([writeStore, ...extraWriters], config, log);
  const ingestToken = resolveIngestToken(config);
  // the KPI rollup builder runs its INSERT … SELECTs on a connection of its own, beside the writers
  const rollupStore = await openStore(config, 'write');
  const ingesting = config.ingest.enabled;
  const rollups = new RollupBuilder(rollupStore, ingesting ? config.ingest.rollupIntervalMs : 0, log);
  rollups.start();

  let kafka: KafkaSource | null = null;
  if (config.kafka && opts.kafka !== false) {
    kafka = new KafkaSource(pipeline, { ...config.kafka, log: (m) => console.error(`[kafka] ${m}`) });
    await kafka.start({ consume: ingesting });
  }

  async function health(): Promise<{ ok: boolean; body: HealthReport }> {
    const started = performance.now();
    let storeOk = true;
    let storeError: string | null = null;
    let rejects: Record<string, number> = {};
    try {
      const rows = await queryRows<{ stream: string; n: string }>(
        readStore,
        'health',
        sql`SELECT stream, uniqExact(source, source_position) AS n FROM rejects GROUP BY stream`,
      );
      rejects = Object.fromEntries(rows.map((r) => [r.stream, Number(r.n)]));
    } catch (e) {
      storeOk = false;
      storeError = (e as Error).message.slice(0, 300);
    }
    const latency = Math.round(performance.now() - started);
    const stats = pipeline.stats();
    const kafkaState = kafka?.state() ?? null;
    const degraded = !storeOk || kafkaState?.state === 'error' || stats.writers.some((w) => w.lastError) || stats.dead_letters.lastError !== null;
    return {
      ok: storeOk,
      body: {
        status: !storeOk ? 'down' : degraded ? 'degraded' : 'ok',
        backend: writeStore.backend,
        store: { ok: storeOk, latency_ms: storeOk ? latency : null, error: storeError },
        ingest: {
          sources: {
            http: ingesting ? { state: 'running' } : { state: 'off', reason: 'PLANTLINE_INGEST=off: this process serves the web app only' },
            kafka: kafkaState ?? { state: 'off', reason: 'KAFKA_BROKERS is not set' },
          },
          accepted: stats.accepted,
          dead_letters: stats.dead_letters,
          buffered_rows: stats.bufferedRows,
          buffered_bytes: stats.bufferedBytes,
          saturated: stats.saturated,
          writers: stats.writers,
        },
        rejects,
        consumer_lag: kafkaState ? kafkaState.lag : null,
        rollups: rollups.stats,
      },
    };
  }

  const handler = createIngestHandler({
    pipeline,
    enabled: ingesting,
    ingestToken,
    maxBodyBytes: config.ingest.maxBodyBytes,
    busyWaitMs: config.ingest.httpBusyWaitMs,
    otlpRequiresToken: config.ingest.otlpRequiresToken,
    health,
  });

  return {
    config,
    writeStore,
    readStore,
    pipeline,
    kafka,
    rollups,
    ingestToken,
    handler,
    health,
    async stop() {
      await kafka?.stop();
      await rollups.stop();
      await rollupStore.close();
      await pipeline.close();
      for (const w of extraWriters) await w.close();
      await readStore.close();
      await writeStore.close();
    },
  };
}

/**
 * SIGTERM / SIGINT: `stop` stores what was received and ends the process. A second signal while it
 * waits (the store is down, say) ends the process at once: nothing acknowledged is lost, as Kafka
 * offsets are committed only once durable and HTTP senders are answered only then; they send again.
 */
export function onStopSignals(name: string, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) {
      console.log(`${name}: second ${signal}, stopping now; what is not stored yet was not acknowledged (Kafka delivers it again, HTTP senders retry)`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${name}: ${signal}, storing what was received and stopping (${signal} again to stop at once)`);
    stop().then(
      () => process.exit(0),
      (e) => {
        console.error(`${name}: stopping failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}
