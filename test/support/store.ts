// A real embedded store (chDB) in a temporary folder, migrated, for tests. chDB runs one engine per
// process and per data folder, so a test file opens one folder and separates cases by database.
// With PLANTLINE_TEST_CLICKHOUSE_URL set (the server-mode test files, test/support/clickhouse-server.ts)
// the same databases are made on that ClickHouse server instead, through CLICKHOUSE_URL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../lib/config';
import { openStore, queryRows, sql, type Store } from '../../clickhouse/client';
import { migrate, migrateServer, renderOptions } from '../../clickhouse/migrate';

let sharedDir: string | null = null;

export function testDataDir(): string {
  sharedDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-test-'));
  return sharedDir;
}

/**
 * With PLANTLINE_TEST_CLICKHOUSE_URL: the variables that put a process (or a config) on that server, in
 * `database` when given; else nothing (the embedded store of PLANTLINE_DATA_DIR).
 */
export function serverEnv(database?: string): Record<string, string> {
  const url = process.env.PLANTLINE_TEST_CLICKHOUSE_URL;
  if (!url) return {};
  return database ? { CLICKHOUSE_URL: url, CLICKHOUSE_DATABASE: database } : { CLICKHOUSE_URL: url };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ PLANTLINE_DATA_DIR: testDataDir(), PLANTLINE_SIMULATOR: 'off', PLANTLINE_INGEST_TOKEN: 'test-ingest-token', ...serverEnv(), ...env });
}

let counter = 0;
/** A fresh, migrated database in the shared test folder. */
export async function openTestStore(env: Record<string, string> = {}): Promise<{ config: Config; store: Store }> {
  const database = `t${process.pid}_${++counter}`;
  const config = testConfig({ CLICKHOUSE_DATABASE: database, ...env });
  if (config.store.kind === 'server') {
    await migrateServer(config);
    return { config, store: await openStore(config, 'write') };
  }
  const store = await openStore(config, 'write');
  await migrate(store, renderOptions(config));
  return { config, store };
}

export async function scalar(store: Store, query: string): Promise<number> {
  const rows = await queryRows<{ v: string | number }>(store, 'test', { query: `SELECT (${query}) AS v`, params: {} });
  return Number(rows[0].v);
}

export { sql };
