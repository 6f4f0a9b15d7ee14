// `npm run ingest`: the ingest service alone (server mode: scale it by Kafka partitions). It consumes
// Kafka when KAFKA_BROKERS is set and serves the HTTP ingest endpoints and /api/health on PORT.
import http from 'node:http';
import { loadConfig } from '../lib/config';
import { onStopSignals, startIngestRuntime } from './runtime';

async function main() {
  const config = loadConfig();
  const runtime = await startIngestRuntime(config);
  const server = http.createServer((req, res) => {
    void runtime.handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(config.port, '0.0.0.0', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  console.log(`plantline ingest: ${runtime.writeStore.backend} store, kafka ${config.kafka ? 'on' : 'off'}, http on :${port}`);

  onStopSignals('plantline ingest', async () => {
    server.close();
    await runtime.stop();
  });
}

main().catch((e) => {
  console.error(`plantline ingest failed to start: ${(e as Error).message}`);
  process.exit(1);
});
