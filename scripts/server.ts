// The embedded server: one process hosts the Next.js app and the ingest pipeline on chDB (chDB locks
// its data directory to one process). Ingest paths are answered before Next sees the request.
import http from 'node:http';
import next from 'next';
import { loadConfig } from '../lib/config';
import { registerReadStore } from '../clickhouse/shared';
import { createStartingHandler, isIngestPath, type StartingState } from '../ingest/http';
import { onStopSignals, resolveIngestToken, startIngestRuntime } from '../ingest/runtime';
import { bootstrapIdentity } from '../lib/auth/directory';
import { publishReplayInProcess, registerReplayPublisher } from '../ingest/replay';
import { TOPICS } from '../lib/contract';
import { startEmbeddedSimulator, worldUomConversions } from '../simulator';
import { listUomConversions, setUomConversion } from '../lib/masterConfig';
import { setSecurityHeaders } from '../lib/securityHeaders';
import { markClientAddress } from '../lib/clientAddress';

export async function startServer(opts: { dev?: boolean } = {}) {
  const config = loadConfig();
  // listen at once: until the store answers and the app is ready, health says `starting`, ingest
  // answers 503 and pages a notice that reloads itself (server mode: ClickHouse may come up later)
  const starting: StartingState = { backend: config.store.kind === 'server' ? 'server' : 'chdb', since: new Date(), waitingFor: null };
  const whileStarting = createStartingHandler(starting, resolveIngestToken(config));
  let serve: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | null = null;
  const server = http.createServer((req, res) => {
    setSecurityHeaders(res);
    markClientAddress(req, config.trustedProxies);
    if (serve) serve(req, res);
    else whileStarting(req, res);
  });
  await new Promise<void>((resolve) => server.listen(config.port, '0.0.0.0', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // next-auth builds its callback URLs from this; behind a proxy, set it to the public URL
  process.env.NEXTAUTH_URL ??= `http://localhost:${port}`;

  const runtime = await startIngestRuntime(config, { onWaitingForStore: (error) => (starting.waitingFor = error) });
  // the store answers: what is left of the start is not waiting for ClickHouse
  starting.waitingFor = null;
  registerReadStore(runtime.readStore);
  await bootstrapIdentity(runtime.writeStore, { adminToken: config.adminToken, adminEmail: config.bootstrapAdmin.email, adminPassword: config.bootstrapAdmin.password });
  // replay requests: to the middleware over Kafka when it is on, else to in-process subscribers (the simulator)
  registerReplayPublisher(async (r) => {
    if (runtime.kafka) {
      await runtime.kafka.send(TOPICS.replay, [{ key: r.correlation_id, value: JSON.stringify(r), headers: { idempotency_key: r.idempotency_key } }]);
      return 'kafka';
    }
    publishReplayInProcess(r);
    return 'in-process';
  });

  const app = next({ dev: opts.dev ?? false, dir: process.cwd() });
  const handle = app.getRequestHandler();
  await app.prepare();

  serve = (req, res) => {
    if (isIngestPath(req.url)) void runtime.handler(req, res);
    else void handle(req, res);
  };
  // the built-in plant simulator (PLANTLINE_SIMULATOR, on by default in embedded mode) posts to this app
  // over HTTP like an edge agent; it returns at once and backfills the last 7 days in the background
  if (config.simulator && config.ingest.enabled && (await listUomConversions(runtime.writeStore)).length === 0) {
    // the simulated group's material master: what an admin would configure for a real one
    for (const c of worldUomConversions()) await setUomConversion(runtime.writeStore, c, '2000-01-01 00:00:00.000');
  }
  // the simulator posts to this process's ingest endpoints: not on a web-only process
  const simulator = config.simulator && config.ingest.enabled
    ? await startEmbeddedSimulator({ url: `http://127.0.0.1:${port}`, token: runtime.ingestToken, kafkaBrokers: config.kafka?.brokers })
    : null;
  const where = config.store.kind === 'embedded' ? `embedded chDB in ${config.store.dataDir}` : `ClickHouse at ${new URL(config.store.url).host}, database ${config.database}`;
  console.log(`Plantline is up: open http://localhost:${port}  (${where}; Kafka ${config.kafka ? 'on' : 'off'}${config.ingest.enabled ? '' : '; web only: PLANTLINE_INGEST=off'})`);

  onStopSignals('Plantline', async () => {
    await simulator?.stop();
    server.close();
    await runtime.stop();
  });
  return { server, runtime, simulator };
}
