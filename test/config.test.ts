// Configuration (lib/config.ts): the documented defaults, and a wrong value refused with its name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../lib/config';

test('defaults: embedded store with the simulator, ingest on, HTTP senders wait 5 s for room', () => {
  const c = loadConfig({});
  assert.equal(c.store.kind, 'embedded');
  assert.deepEqual(
    [c.port, c.simulator, c.ingest.enabled, c.ingest.httpBusyWaitMs, c.ingest.maxBodyBytes, c.ingest.maxBufferedRows, c.ingest.maxBufferedBytes],
    [3000, true, true, 5_000, 8 * 1024 * 1024, 200_000, 268_435_456],
  );
  // a server store: no simulator unless asked
  const server = loadConfig({ CLICKHOUSE_URL: 'http://clickhouse:8123' });
  assert.deepEqual([server.store.kind, server.simulator], ['server', false]);
});

test('on/off switches take on, off, 1, 0 (any case); empty is the default; anything else is refused by name', () => {
  assert.equal(loadConfig({ PLANTLINE_SIMULATOR: '' }).simulator, true);
  assert.equal(loadConfig({ PLANTLINE_SIMULATOR: '0' }).simulator, false);
  assert.equal(loadConfig({ PLANTLINE_SIMULATOR: 'OFF' }).simulator, false);
  assert.equal(loadConfig({ PLANTLINE_INGEST: 'off' }).ingest.enabled, false);
  assert.equal(loadConfig({ PLANTLINE_INGEST: '1' }).ingest.enabled, true);
  assert.throws(() => loadConfig({ PLANTLINE_SIMULATOR: 'maybe' }), (e: unknown) => e instanceof ConfigError && e.message === 'PLANTLINE_SIMULATOR=maybe: expected on or off');
  assert.throws(() => loadConfig({ PLANTLINE_INGEST: 'web' }), (e: unknown) => e instanceof ConfigError && e.message === 'PLANTLINE_INGEST=web: expected on or off');
});

test('numbers below their floor and a cluster without a server are refused by name', () => {
  assert.throws(() => loadConfig({ PLANTLINE_HTTP_BUSY_WAIT_MS: '-1' }), (e: unknown) => e instanceof ConfigError && e.message === 'PLANTLINE_HTTP_BUSY_WAIT_MS=-1: expected a whole number ≥ 0');
  assert.throws(() => loadConfig({ PLANTLINE_MAX_BODY_BYTES: '100' }), (e: unknown) => e instanceof ConfigError && e.message === 'PLANTLINE_MAX_BODY_BYTES=100: expected a whole number ≥ 1024');
  assert.throws(() => loadConfig({ CLICKHOUSE_CLUSTER: 'plant' }), (e: unknown) => e instanceof ConfigError && /^CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL/.test(e.message));
  assert.throws(() => loadConfig({ PLANTLINE_MAX_BUFFERED_BYTES: '65536' }), (e: unknown) => e instanceof ConfigError && e.message === 'PLANTLINE_MAX_BUFFERED_BYTES=65536: expected a whole number ≥ 1048576');
  assert.equal(loadConfig({ PLANTLINE_HTTP_BUSY_WAIT_MS: '0' }).ingest.httpBusyWaitMs, 0);
  assert.equal(loadConfig({ PLANTLINE_MAX_BUFFERED_BYTES: '1048576' }).ingest.maxBufferedBytes, 1_048_576);
});

test('a database name of ClickHouse itself is refused, whatever its case; an ordinary one is kept', () => {
  for (const name of ['system', 'INFORMATION_SCHEMA', 'information_schema']) {
    assert.throws(() => loadConfig({ CLICKHOUSE_URL: 'http://clickhouse:8123', CLICKHOUSE_DATABASE: name }), (e: unknown) => e instanceof ConfigError && e.message === `CLICKHOUSE_DATABASE=${name}: a database of ClickHouse itself; name one for Plantline (default plantline)`);
  }
  assert.equal(loadConfig({ CLICKHOUSE_URL: 'http://clickhouse:8123', CLICKHOUSE_DATABASE: 'plant_ops' }).database, 'plant_ops');
});
