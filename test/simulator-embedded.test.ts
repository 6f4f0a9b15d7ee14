// The simulator as `npm start` runs it: started next to the app, it returns at once, backfills the last
// days in the background over the app's own HTTP ingest, then follows the wall clock; it serves
// replays published in-process; and after a restart it continues the same world without sending
// its history again.
//   node --import tsx --test test/simulator-embedded.test.ts
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startIngestRuntime, type IngestRuntime } from '../ingest/runtime';
import { publishReplayInProcess } from '../ingest/replay';
import { param, queryRows, sql } from '../clickhouse/client';
import { testConfig, scalar } from './support/store';
import { startEmbeddedSimulator } from '../simulator';

let runtime: IngestRuntime;
let server: http.Server;
let base: string;
const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-sim-')), 'simulator-state.json');
const options = () => ({ url: base, token: 'test-ingest-token', seed: 3, days: 1, rate: 10, stateFile, log: (m: string) => logs.push(m) });
const logs: string[] = [];

before(async () => {
  runtime = await startIngestRuntime(testConfig({ CLICKHOUSE_DATABASE: 'simulator_embedded', PLANTLINE_FLUSH_MS: '50' }));
  server = http.createServer((req, res) => void runtime.handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.close();
  await runtime.stop();
});

const currentStatus = async (id: string) =>
  (
    await queryRows<{ s: string }>(
      runtime.readStore,
      'test',
      sql`SELECT argMax(status, (reported_at, multiIf(status = 'posted', 3, status = 'failed', 2, 1))) AS s
          FROM (SELECT * FROM postings WHERE correlation_id = ${param('id', 'String', id)} ORDER BY ingested_at LIMIT 1 BY event_id)`,
    )
  )[0].s;

test('it starts at once, backfills the last day in the background, streams live and serves in-process replays', async (t) => {
  const started = performance.now();
  const sim = await startEmbeddedSimulator(options());
  t.after(() => sim.stop()); // also when an assertion fails: a live simulator keeps the process alive
  assert.ok(performance.now() - started < 1_000, 'starting the simulator must not hold up the app');
  await sim.simulator.whenLive();
  await runtime.pipeline.flush();

  const now = Date.now();
  const [postings, snapshots, spans] = await Promise.all(['postings', 'inventory_snapshots', 'spans'].map((t) => scalar(runtime.readStore, `SELECT count() FROM ${t}`)));
  // (a weekend day is quieter: most plants work weekdays)
  assert.ok(postings > 3_000 && snapshots > 300 && spans > 5_000, `a day of history: ${postings} postings, ${snapshots} snapshots, ${spans} spans`);
  const newest = await scalar(runtime.readStore, 'SELECT toUnixTimestamp64Milli(max(reported_at)) FROM postings');
  assert.ok(newest <= now && newest > now - 10 * 60_000, 'history reaches the present and nothing is reported in the future');

  // a transaction that failed for a transient reason: the replay posts it
  const [failed] = await queryRows<{ correlation_id: string; event_id: string; attempt: number; flow: string; plant: string; payload: string }>(
    runtime.readStore,
    'test',
    sql`SELECT correlation_id, argMax(event_id, reported_at) AS event_id, max(attempt) AS attempt, any(f) AS flow, any(p) AS plant, any(m) AS payload
        FROM (SELECT correlation_id, event_id, attempt, flow AS f, plant AS p, payload AS m, status AS s, error_category AS c, reported_at FROM postings WHERE plant != 'P08')
        GROUP BY correlation_id
        HAVING argMax(s, reported_at) = 'failed' AND argMax(c, reported_at) IN ('lock_conflict', 'timeout')
        ORDER BY correlation_id LIMIT 1`,
  );
  assert.ok(failed, 'a day of eight plants has a failed posting with a transient cause');
  publishReplayInProcess({
    replay_id: 'embedded-1',
    correlation_id: failed.correlation_id,
    replay_of: failed.event_id,
    idempotency_key: failed.correlation_id,
    flow: failed.flow,
    plant: failed.plant,
    attempt: Number(failed.attempt) + 1,
    payload: failed.payload,
    requested_by: 'test',
    requested_at: new Date().toISOString(),
    reason: 'ERP lock released',
  });
  await sim.simulator.replays.idle();
  await runtime.pipeline.flush();
  assert.equal(await currentStatus(failed.correlation_id), 'posted');
  await sim.stop();
  assert.ok(fs.existsSync(stateFile));
});

test('after a restart it continues the same world and does not send its history again', async (t) => {
  const accepted = runtime.pipeline.stats().accepted.postings;
  const before = await scalar(runtime.readStore, 'SELECT uniqExact(event_id) FROM postings');
  const sim = await startEmbeddedSimulator(options());
  t.after(() => sim.stop());
  await sim.simulator.whenLive();
  await sim.stop();
  await runtime.pipeline.flush();
  assert.ok(logs.some((m) => m.startsWith('resuming world')), logs.join('\n'));
  // only what happened while it was down and since arrived: a tiny share of a day
  const sent = runtime.pipeline.stats().accepted.postings - accepted;
  assert.ok(sent < before * 0.05, `re-sent ${sent} of ${before} postings`);
  // one world: every correlation id carries the same world tag
  assert.equal(await scalar(runtime.readStore, `SELECT uniqExact(splitByChar('-', correlation_id)[3]) FROM postings`), 1);
  // the replayed transaction stays posted (its replay was remembered, not lost with the restart)
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  assert.equal(state.replays.length, 1);
});
