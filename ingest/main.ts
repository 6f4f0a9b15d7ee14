// `npm run ingest`: the ingest service alone (server mode: scale it by Kafka partitions). It consumes
// Kafka when KAFKA_BROKERS is set and serves the HTTP ingest endpoints and /api/health on PORT. It
// listens at once: until ClickHouse answers, health says `starting` and ingest answers 503.
import http from 'node:http';
import { loadConfig } from '../lib/config';
import { setSecurityHeaders } from '../lib/securityHeaders';
import { createStartingHandler, type StartingState } from './http';
import { onStopSignals, resolveIngestToken, startIngestRuntime, type IngestRuntime } from './runtime';

async function main() {
  const config = loadConfig();
  if (!config.ingest.enabled) throw new Error('PLANTLINE_INGEST=off: npm run ingest would have nothing to do (that setting is for web-only npm start processes)');
  const starting: StartingState = { backend: config.store.kind === 'server' ? 'server' : 'chdb', since: new Date(), waitingFor: null };
  const whileStarting = createStartingHandler(starting, resolveIngestToken(config));
  let runtime: IngestRuntime | null = null;
  const server = http.createServer((req, res) => {
    setSecurityHeaders(res);
    if (runtime) void runtime.handler(req, res);
    else whileStarting(req, res);
  });
  await new Promise<void>((resolve) => server.listen(config.port, '0.0.0.0', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  console.log(`plantline ingest: listening on :${port}, opening the store`);
  runtime = await startIngestRuntime(config, { onWaitingForStore: (error) => (starting.waitingFor = error) });
  // the store answers: what is left of the start is not waiting for ClickHouse
  starting.waitingFor = null;
  console.log(`plantline ingest: ${runtime.writeStore.backend} store, kafka ${config.kafka ? 'on' : 'off'}, http on :${port}`);

  const up = runtime;
  onStopSignals('plantline ingest', async () => {
    server.close();
    await up.stop();
  });
}

main().catch((e) => {
  console.error(`plantline ingest failed to start: ${(e as Error).message}`);
  process.exit(1);
});
