// File import, for plants that still exchange files: every good line stored, every bad line reported
// with its line number, and importing the same file again changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importFile } from '../ingest/file-import';
import { IngestPipeline } from '../ingest/pipeline';
import { openTestStore, scalar, serverEnv } from './support/store';
import { posting } from './support/fixtures';
import { command } from '../clickhouse/client';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-import-'));
const file = path.join(dir, 'p07-2026-11-03.ndjson');
fs.writeFileSync(
  file,
  Buffer.concat([
    Buffer.from(JSON.stringify(posting({ event_id: 'f-1', correlation_id: 'TX-F1' })) + '\n'),
    Buffer.from(JSON.stringify(posting({ event_id: 'f-2', correlation_id: 'TX-F2', status: 'pending' })) + '\n'),
    Buffer.from('\n'), // blank line 3: skipped, still counted
    Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]), // line 4: invalid UTF-8
    Buffer.from(JSON.stringify(posting({ event_id: 'f-5', plant: 'P-TOO-LONG-FOR-A-PLANT-CODE-XXXXXXX' })) + '\n'),
    Buffer.from(JSON.stringify(posting({ event_id: 'f-6', correlation_id: 'TX-F6' }))), // no trailing newline
  ]),
);

test('an NDJSON file is imported line by line; re-importing it changes nothing', async () => {
  const { config, store } = await openTestStore();
  const pipeline = new IngestPipeline(store, config, () => undefined);
  const report = await importFile(pipeline, 'postings', file);
  assert.equal(report.accepted, 3);
  assert.deepEqual(report.rejected, [
    { line: 4, reason: 'not valid UTF-8' },
    { line: 5, reason: 'field plant: longer than 32 characters' },
  ]);
  assert.equal(report.lines, 6);
  const again = await importFile(pipeline, 'postings', file);
  assert.equal(again.accepted, 3);
  await pipeline.close();
  assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings`), 3);
  assert.equal(await scalar(store, `SELECT uniqExact(source_position) FROM rejects WHERE source = 'file'`), 2);
  assert.equal(await scalar(store, `SELECT count() FROM (SELECT 1 FROM rejects FINAL WHERE source = 'file')`), 2);
  await store.close();
});

test('a file of the same name and length with other lines (the next day\'s export) is new data, not a repeat', async () => {
  const { config, store } = await openTestStore();
  const pipeline = new IngestPipeline(store, config, () => undefined);
  const daily = path.join(dir, 'p07-daily.ndjson');
  // lines 1–3 good, line 4 a bad line that differs from day to day
  const day = (d: string) => [1, 2, 3].map((i) => JSON.stringify(posting({ event_id: `${d}-${i}`, correlation_id: `TX-${d}-${i}` }))).join('\n') + `\n{"event_id": "${d}-4", broken\n`;
  fs.writeFileSync(daily, day('d1'));
  assert.deepEqual(await importFile(pipeline, 'postings', daily).then((r) => [r.accepted, r.rejected.length]), [3, 1]);
  // the same positions (file name and lines 1–3) with other rows: stored, not dropped as a retry
  fs.writeFileSync(daily, day('d2'));
  assert.equal((await importFile(pipeline, 'postings', daily)).accepted, 3);
  // and the first day's file once more: a repeat, dropped by the store
  fs.writeFileSync(daily, day('d1'));
  await importFile(pipeline, 'postings', daily);
  await pipeline.close();
  assert.equal(await scalar(store, 'SELECT count() FROM postings'), 6);
  assert.equal(await scalar(store, "SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'd2-%'"), 3);
  // each day's bad line 4 is its own reject, also once the store has merged the table; the first day's,
  // imported twice, is one
  await command(store, 'OPTIMIZE TABLE rejects FINAL');
  const rejects = await store.client.query({ query: "SELECT source_position, toString(raw) AS raw FROM rejects FINAL WHERE source = 'file' ORDER BY raw", format: 'JSONEachRow' });
  const rows = (await rejects.json()) as { source_position: string; raw: string }[];
  assert.deepEqual(rows.map((r) => r.raw), ['{"event_id": "d1-4", broken', '{"event_id": "d2-4", broken']);
  for (const r of rows) assert.match(r.source_position, new RegExp(`^file:${daily.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}@[0-9a-f]{16}:4$`));
  await store.close();
});

test('a file still being written while it is imported is reported as changed, not named by content it no longer has', async () => {
  const { config, store } = await openTestStore();
  const pipeline = new IngestPipeline(store, config, () => undefined);
  const growing = path.join(dir, 'p07-growing.ndjson');
  fs.writeFileSync(growing, JSON.stringify(posting({ event_id: 'g-1', correlation_id: 'TX-G1' })) + '\n');
  // the export job appends a line while the import reads the first block
  const wait = pipeline.waitForCapacity.bind(pipeline);
  pipeline.waitForCapacity = async () => {
    fs.appendFileSync(growing, JSON.stringify(posting({ event_id: 'g-2', correlation_id: 'TX-G2' })) + '\n');
    return wait();
  };
  await assert.rejects(importFile(pipeline, 'postings', growing), new RegExp(`^Error: ${growing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} changed while it was imported \\(size \\d+ → \\d+ bytes\\)`));
  await pipeline.close();
  await store.close();
});

test('the import command reports per line and exits 2 when lines were rejected', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-import-cli-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'ingest/file-import.ts', '--stream', 'postings', file], {
    // server-file-import.test.ts: into a database on its ClickHouse server
    env: {
      ...process.env,
      PLANTLINE_DATA_DIR: dataDir,
      PLANTLINE_INGEST_TOKEN: 't',
      ...serverEnv(`import_cli_${process.pid}`),
    },
    encoding: 'utf8',
  });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stdout, /p07-2026-11-03\.ndjson: 6 lines, 3 accepted, 2 rejected/);
  assert.match(run.stdout, /line 4: not valid UTF-8/);
  assert.match(run.stdout, /line 5: field plant: longer than 32 characters/);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
