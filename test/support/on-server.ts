// Run a test file's cases again on a ClickHouse server over HTTP (CLICKHOUSE_URL), with the same SQL:
// the server starts before the file's own hooks open their stores (test/support/store.ts reads
// PLANTLINE_TEST_CLICKHOUSE_URL), and stops after them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startClickHouseServer, type ClickHouseServer } from './clickhouse-server';
import { openTestStore } from './store';

export function onClickHouseServer(load: () => void): void {
  let server: ClickHouseServer | undefined;
  describe('on a ClickHouse server (CLICKHOUSE_URL)', () => {
    before(async () => {
      server = await startClickHouseServer();
      process.env.PLANTLINE_TEST_CLICKHOUSE_URL = server.url;
    });
    test('the test stores are databases on the server, reached over HTTP', async () => {
      const { config, store } = await openTestStore();
      try {
        assert.equal(store.backend, 'server');
        const res = await fetch(`${server!.url}/?query=${encodeURIComponent('SELECT name FROM system.databases ORDER BY name FORMAT JSONEachRow')}`);
        const names = (await res.text()).trim().split('\n').map((l) => JSON.parse(l).name as string);
        assert.ok(names.includes(config.database), `${config.database} in ${names.join(', ')}`);
      } finally {
        await store.close();
      }
    });
    // registered after the hook above, so the file's own hooks run once the server is up
    load();
    after(async () => {
      delete process.env.PLANTLINE_TEST_CLICKHOUSE_URL;
      await server?.stop();
    });
  });
}
