// The plant simulator against the real ingest path: the same seed gives the same events; a backfill of
// eight plants through the HTTP ingest endpoints (postings, snapshots, OTLP traces) lands in the store
// with exactly the ledger's numbers, per the contract's definitions computed here in SQL; the
// snapshots' MES − ERP differences are exactly the pending, failed and double-posted movements plus
// the injected ERP adjustment; and the simulator, as the middleware, executes replays.
//   node --import tsx --test test/simulator.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startIngestRuntime, type IngestRuntime } from '../ingest/runtime';
import { publishReplayInProcess, type ReplayRequest } from '../ingest/replay';
import { param, queryRows, sql } from '../clickhouse/client';
import { testConfig, scalar } from './support/store';
import { CaptureDelivery, HttpDelivery, Simulator } from '../simulator';
import { ALL_PLANTS, parseFilters } from '../queries/filters';
import { getOverview } from '../queries/getOverview';
import { getFlowMatrix } from '../queries/getFlowMatrix';
import { getLatency } from '../queries/getLatency';
import { getInventoryVariance } from '../queries/getInventoryVariance';
import { planKpi } from '../queries/kpiRollup';
import { getExceptions } from '../queries/getExceptions';
import { getSlaBreaches } from '../queries/getSlaBreaches';
import { getExceptionAging } from '../queries/getExceptionAging';
import { subscribeInProcess } from '../simulator/replay';

const TOKEN = 'test-ingest-token';
const DAY = 86_400_000;
// Tuesday 29 September 2026 to Thursday 1 October 12:00: weekdays, and the September period closes on the way
const ORIGIN = Date.parse('2026-09-29T00:00:00Z');
const DAYS = 2.5;
const END = ORIGIN + DAYS * DAY;

describe('same seed, same world', () => {
  async function capture(seed: number) {
    const delivery = new CaptureDelivery();
    const sim = new Simulator({ seed, origin: ORIGIN, days: 1, rate: 4, delivery });
    await sim.finishAt(ORIGIN + DAY);
    await sim.stop();
    return delivery;
  }

  test('the same seed gives a byte-identical event stream (postings, snapshots, spans)', async () => {
    const [a, b] = [await capture(7), await capture(7)];
    assert.ok(a.lines.length > 5_000, `a day of eight plants at 4/min should be thousands of messages, got ${a.lines.length}`);
    assert.equal(a.lines.join('\n'), b.lines.join('\n'));
    // spans leave through one batch processor per service, so their export order may interleave differently
    assert.equal(a.spans.length, b.spans.length);
    assert.equal([...a.spans].sort().join('\n'), [...b.spans].sort().join('\n'));
  });

  test('another seed gives another world', async () => {
    const [a, c] = [await capture(7), await capture(8)];
    assert.notEqual(a.lines.join('\n'), c.lines.join('\n'));
  });
});

describe('a backfill of eight plants through the HTTP ingest endpoints', () => {
  let runtime: IngestRuntime;
  let server: http.Server;
  let sim: Simulator;
  let ledger: ReturnType<Simulator['ledgerJSON']>;
  let unsubscribe: () => void;
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(runtime.readStore, 'test', q);

  before(async () => {
    // the world is pinned to a past date (the same events on every run); keep its spans past the default 30-day TTL
    runtime = await startIngestRuntime(testConfig({ CLICKHOUSE_DATABASE: 'simulator', PLANTLINE_FLUSH_MS: '50', PLANTLINE_SPAN_RETENTION_DAYS: '3650' }));
    server = http.createServer((req, res) => void runtime.handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sim = new Simulator({ seed: 42, plants: 8, rate: 3, origin: ORIGIN, days: DAYS, delivery: new HttpDelivery(base, TOKEN, { concurrency: 8 }), ledger: true });
    unsubscribe = subscribeInProcess(sim.replays);
    await sim.finishAt(END);
    await runtime.pipeline.flush();
    ledger = sim.ledgerJSON({ drained: true });
  });

  after(async () => {
    unsubscribe?.();
    await sim?.stop();
    server?.close();
    await runtime?.stop();
  });

  /** CONTRACT §3 in SQL: one row per event_id; a transaction's current status is its latest event's, ties posted > failed > pending. */
  async function statusCounts() {
    const found = await rows<{ plant: string; flow: string; status: string; transactions: string }>(sql`
      SELECT plant, flow, status, count() AS transactions FROM (
        SELECT correlation_id, any(plant) AS plant, any(flow) AS flow,
               argMax(status, (reported_at, multiIf(status = 'posted', 3, status = 'failed', 2, 1))) AS status
        FROM (SELECT correlation_id, plant, flow, status, reported_at FROM postings ORDER BY ingested_at LIMIT 1 BY event_id)
        GROUP BY correlation_id)
      GROUP BY plant, flow, status ORDER BY plant, flow, status`);
    return found.map((r) => ({ ...r, transactions: Number(r.transactions) }));
  }

  test('per plant × flow × current status, the store holds exactly the ledger’s transaction counts', async () => {
    const found = await statusCounts();
    assert.deepEqual(found, ledger.transactions.by_plant_flow_status);
    // every plant and every flow of the contract is there, and every status
    assert.equal(new Set(found.map((r) => r.plant)).size, 8);
    assert.equal(new Set(found.map((r) => r.flow)).size, 8);
    assert.deepEqual([...new Set(found.map((r) => r.status))].sort(), ['failed', 'pending', 'posted']);
    assert.ok(ledger.transactions.total > 8_000, `expected a few thousand transactions a day, got ${ledger.transactions.total}`);
  });

  test('failed order releases, duplicates and out-of-order deliveries are what the ledger says', async () => {
    const failedReleases = await scalar(
      runtime.readStore,
      `SELECT count() FROM (
         SELECT correlation_id, argMax(status, (reported_at, multiIf(status = 'posted', 3, status = 'failed', 2, 1))) AS status
         FROM (SELECT * FROM postings WHERE flow = 'order_release' ORDER BY ingested_at LIMIT 1 BY event_id)
         GROUP BY correlation_id) WHERE status = 'failed'`,
    );
    assert.equal(failedReleases, ledger.failed_order_releases.total);
    assert.ok(failedReleases > 0);
    // a duplicate delivery is a second message with the same event_id: the store counts each event once
    assert.ok(ledger.sent.duplicate_deliveries > 0 && ledger.sent.out_of_order > 0);
    assert.equal(ledger.sent.posting_messages, ledger.sent.posting_events + ledger.sent.duplicate_deliveries);
    assert.equal(await scalar(runtime.readStore, 'SELECT uniqExact(event_id) FROM postings'), ledger.sent.posting_events);
    // every failure category of the world shows up, and retries replay the failed attempt
    const categories = await rows<{ c: string }>(sql`SELECT DISTINCT error_category AS c FROM postings WHERE status = 'failed' ORDER BY c`);
    assert.deepEqual(categories.map((r) => r.c), ['authorization', 'lock_conflict', 'master_data', 'period_closed', 'timeout', 'validation']);
    const retries = await scalar(runtime.readStore, `SELECT count() FROM postings WHERE attempt > 1 AND replay_of != '' AND replay_of LIKE concat(correlation_id, '.%.failed')`);
    assert.ok(retries > 0);
    // an ERP that posted twice: two posted events (different event_ids) of one transaction
    assert.ok((await scalar(runtime.readStore, `SELECT count() FROM (SELECT correlation_id FROM (SELECT * FROM postings ORDER BY ingested_at LIMIT 1 BY event_id) WHERE status = 'posted' GROUP BY correlation_id HAVING count() > 1)`)) > 0);
  });

  test('one trace per transaction, across erp, middleware and the plant’s MES service, with the postings’ trace ids', async () => {
    assert.equal(ledger.sent.spans_failed, 0);
    assert.equal(await scalar(runtime.readStore, 'SELECT uniqExact(trace_id, span_id) FROM spans'), ledger.sent.spans);
    assert.equal(await scalar(runtime.readStore, 'SELECT uniqExact(correlation_id) FROM span_transactions'), ledger.transactions.total);
    // the trace id on each posting is the trace id of that transaction's spans
    assert.equal(
      await scalar(runtime.readStore, `SELECT count() FROM (SELECT DISTINCT correlation_id, trace_id FROM postings) AS p LEFT ANTI JOIN (SELECT DISTINCT correlation_id, trace_id FROM spans) AS s USING (correlation_id, trace_id)`),
      0,
    );
    const services = await rows<{ service_name: string }>(sql`SELECT DISTINCT service_name FROM spans ORDER BY service_name`);
    assert.deepEqual(services.map((r) => r.service_name), ['erp', 'mes-p01', 'mes-p02', 'mes-p03', 'mes-p04', 'mes-p05', 'mes-p06', 'mes-p07', 'mes-p08', 'middleware']);
    // a goods receipt's trace: the plant's span opens it, the middleware routes it, the ERP posts it
    const [gr] = await rows<{ correlation_id: string; trace_id: string }>(sql`SELECT correlation_id, trace_id FROM postings WHERE flow = 'goods_receipt' AND plant = 'P03' AND attempt = 1 AND status = 'posted' ORDER BY correlation_id LIMIT 1`);
    const spans = await rows<{ service_name: string; plant: string; flow: string; order_no: string; material: string; lot: string; parent_span_id: string }>(sql`
      SELECT service_name, plant, flow, order_no, material, lot, parent_span_id FROM spans WHERE trace_id = ${param('t', 'String', gr.trace_id)}
      ORDER BY timestamp, service_name LIMIT 1 BY span_id`);
    assert.deepEqual(spans.map((s) => s.service_name), ['mes-p03', 'middleware', 'erp']);
    assert.equal(spans[0].parent_span_id, '');
    for (const s of spans) assert.deepEqual([s.plant, s.flow], ['P03', 'goods_receipt']);
    assert.ok(spans.every((s) => s.order_no && s.material && s.lot));
  });

  /** Per inventory key at a cut-off, from the store: MES − ERP of the latest snapshots, and the contract's explained parts from the postings. */
  async function reconcileInStore(cutOff: number) {
    const cut = new Date(cutOff).toISOString().replace('T', ' ').replace('Z', '');
    const latest = await rows<{ key: string; system: string; qty: number; uom: string }>(sql`
      SELECT concat(plant, '|', storage_location, '|', material, '|', lot) AS key, system, argMax(quantity, as_of) AS qty, argMax(uom, as_of) AS uom
      FROM (SELECT * FROM inventory_snapshots WHERE as_of <= ${param('cut', "DateTime64(3, 'UTC')", cut)} ORDER BY ingested_at LIMIT 1 BY snapshot_id)
      GROUP BY key, system`);
    const explained = await rows<{ key: string; pending: number; failed: number; duplicate: number }>(sql`
      SELECT concat(plant, '|', storage_location, '|', material, '|', lot) AS key,
             sumIf(delta, current = 'pending') AS pending, sumIf(delta, current = 'failed') AS failed, -sumIf(delta * (posted - 1), posted > 1) AS duplicate
      FROM (
        SELECT correlation_id, any(plant) AS plant, any(storage_location) AS storage_location, any(material) AS material, any(lot) AS lot,
               anyIf(stock_delta, stock_delta IS NOT NULL) AS delta,
               argMax(status, (reported_at, multiIf(status = 'posted', 3, status = 'failed', 2, 1))) AS current,
               countIf(status = 'posted' AND stock_delta IS NOT NULL) AS posted
        FROM (SELECT * FROM postings ORDER BY ingested_at LIMIT 1 BY event_id)
        WHERE target_system = 'ERP' AND stock_delta IS NOT NULL AND occurred_at <= ${param('cut', "DateTime64(3, 'UTC')", cut)} AND reported_at <= ${param('cut', "DateTime64(3, 'UTC')", cut)}
        GROUP BY correlation_id)
      GROUP BY key`);
    const byKey = new Map<string, { mes: number; erp: number; mesUom: string; snapshots: number; pending: number; failed: number; duplicate: number }>();
    const entry = (key: string) => byKey.get(key) ?? byKey.set(key, { mes: 0, erp: 0, mesUom: '', snapshots: 0, pending: 0, failed: 0, duplicate: 0 }).get(key)!;
    for (const r of latest) {
      const e = entry(r.key);
      e.snapshots++;
      if (r.system === 'MES') [e.mes, e.mesUom] = [milli(r.qty), r.uom];
      else e.erp = milli(r.qty);
    }
    for (const r of explained) Object.assign(entry(r.key), { pending: milli(r.pending), failed: milli(r.failed), duplicate: milli(r.duplicate) });
    return byKey;
  }
  const milli = (x: number | string) => Math.round(Number(x) * 1000);

  /** The store's reconciliation at `cutOff` agrees with the ledger's, key by key, to the milli-unit; returns the ledger's rows. */
  async function assertReconciles(cutOff: number) {
    const store = await reconcileInStore(cutOff);
    const rowsAtCut = sim.ledger!.inventory(cutOff);
    // the one material the plant counts in bags: MES in EA, ERP in KG, compared with the material master's factor
    const bags = new Map(ledger.world.uom_conversions.filter((c) => c.note.startsWith('the plant counts')).map((c) => [c.material, c.factor]));
    for (const row of rowsAtCut) {
      const key = `${row.plant}|${row.storage_location}|${row.material}|${row.lot}`;
      const s = store.get(key);
      assert.ok(s, `no snapshots in the store for ${key}`);
      const f = row.mes_uom !== row.uom ? bags.get(row.material)! : 1;
      // the snapshots in the store say what the ledger says
      assert.equal(s.mes * f - s.erp, milli(row.variance), `variance of ${key} at ${new Date(cutOff).toISOString()}`);
      // the postings in the store explain it as the ledger says
      assert.deepEqual([s.pending * f, s.failed * f, s.duplicate * f], [milli(row.explained_pending), milli(row.explained_failed), milli(row.explained_duplicate)], `explained parts of ${key}`);
      // and nothing is left but the injected adjustment
      assert.equal(milli(row.variance), milli(row.explained_pending) + milli(row.explained_failed) + milli(row.explained_duplicate) + milli(row.adjustment), `residual of ${key}`);
    }
    assert.equal([...store.values()].filter((s) => s.snapshots > 0).length, rowsAtCut.length, 'the ledger covers every key with snapshots');
    return rowsAtCut;
  }

  test('per inventory key, MES − ERP in the snapshots is exactly pending + failed + duplicate effects plus the injected adjustment', async () => {
    assert.equal(ledger.inventory.cut_off, new Date(END).toISOString());
    const rowsAtEnd = await assertReconciles(END);
    assert.deepEqual(rowsAtEnd, ledger.inventory.rows);
    assert.deepEqual(
      rowsAtEnd.filter((r) => r.residual !== 0).map((r) => [r.plant, r.storage_location, r.material, r.lot, r.residual, r.adjustment]),
      [['P02', 'RM01', 'PIG-TIO2-R', 'VB-0202A', 2.5, 2.5]],
    );
    assert.ok(rowsAtEnd.filter((r) => r.variance !== 0).length > 10, 'variances to reconcile');
    for (const part of ['explained_pending', 'explained_failed', 'explained_duplicate'] as const) {
      assert.ok(rowsAtEnd.some((r) => r[part] !== 0), `some variance is explained by ${part}`);
    }
    // the same at any hour: in the middle of the P04 WAN outage, and just after the September close
    const outage = Date.parse(ledger.world.scenario.wan_outage!.from) + 2 * 3_600_000;
    await assertReconciles(outage);
    await assertReconciles(Date.parse('2026-10-01T03:00:00Z'));
    // and, in the ledger's own books, at every hour of the history
    for (let c = ORIGIN; c <= END; c += 3_600_000) {
      for (const r of sim.ledger!.inventory(c)) assert.equal(r.residual, r.adjustment, `residual at ${new Date(c).toISOString()} of ${r.plant} ${r.material} ${r.lot}`);
    }
  });

  test('as the middleware, it replays: a failure whose cause is gone posts, one whose cause persists fails again', async () => {
    type Failure = (typeof ledger.failures)[number];
    const gone = ledger.failures.find((f: Failure) => f.replay_now === 'posts' && f.error_category === 'master_data' && f.flow !== 'order_release');
    const persists = ledger.failures.find((f: Failure) => f.replay_now === 'fails again' && f.error_category === 'period_closed') ?? ledger.failures.find((f: Failure) => f.replay_now === 'fails again');
    assert.ok(gone && persists, 'the world has both kinds of failure');

    const request = (f: Failure, n: number): ReplayRequest => ({
      replay_id: `test-replay-${n}`,
      correlation_id: f.correlation_id,
      replay_of: f.failed_event_id!,
      idempotency_key: f.correlation_id,
      flow: f.flow,
      plant: f.plant,
      attempt: f.attempts! + 1,
      payload: '',
      requested_by: 'test',
      requested_at: new Date().toISOString(),
      reason: 'cause fixed',
    });
    // what Plantline's replay action does in embedded mode: publish in-process
    assert.equal(publishReplayInProcess(request(gone!, 1)), true);
    publishReplayInProcess(request(persists!, 2));
    await sim.replays.idle();
    await runtime.pipeline.flush();

    const replayed = await rows<{ correlation_id: string; status: string; attempt: number; replay_of: string; error_category: string }>(sql`
      SELECT correlation_id, status, attempt, replay_of, error_category FROM postings
      WHERE replay_of IN (${param('ra', 'String', gone!.failed_event_id)}, ${param('rb', 'String', persists!.failed_event_id)}) AND status != 'pending'
      ORDER BY ingested_at LIMIT 1 BY event_id`);
    const byTx = new Map(replayed.map((r) => [r.correlation_id, r]));
    assert.deepEqual(
      { status: byTx.get(gone!.correlation_id)?.status, attempt: Number(byTx.get(gone!.correlation_id)?.attempt), replay_of: byTx.get(gone!.correlation_id)?.replay_of },
      { status: 'posted', attempt: gone!.attempts! + 1, replay_of: gone!.failed_event_id },
    );
    assert.equal(byTx.get(persists!.correlation_id)?.status, 'failed');
    assert.equal(byTx.get(persists!.correlation_id)?.error_category, persists!.error_category);
    // the replayed transaction is now posted, the other still failed
    const status = async (id: string) =>
      (
        await rows<{ s: string }>(sql`SELECT argMax(status, (reported_at, multiIf(status = 'posted', 3, status = 'failed', 2, 1))) AS s
          FROM (SELECT * FROM postings WHERE correlation_id = ${param('id', 'String', id)} ORDER BY ingested_at LIMIT 1 BY event_id)`)
      )[0].s;
    assert.equal(await status(gone!.correlation_id), 'posted');
    assert.equal(await status(persists!.correlation_id), 'failed');
    // the replay joined the transaction's trace
    const replaySpans = await rows<{ n: string }>(
      sql`SELECT count() AS n FROM spans WHERE correlation_id = ${param('c', 'String', gone!.correlation_id)} AND span_attributes['mfg.replay_of'] = ${param('r', 'String', gone!.failed_event_id)}`,
    );
    assert.ok(Number(replaySpans[0].n) >= 1);
    // the ledger follows the replays: the store's counts are still exactly its counts
    const now = sim.ledgerJSON();
    assert.deepEqual(await statusCounts(), now.transactions.by_plant_flow_status);
    assert.deepEqual(now.replays.map((r) => r.outcome), ['posted', 'failed']);
  });

  test('KPI, inventory, exception and SLA rollups answer most hours and give exactly the raw figures on the simulated world', async () => {
    // the backfill is over and nothing else writes: no need to wait for counters to settle
    await runtime.rollups.cycle(Infinity, 0);
    // health reports the builder: it has run, rebuilt rows, left none stale and has no error
    const { rollups } = (await runtime.health()).body;
    assert.ok(rollups.cycles >= 1 && rollups.built > 0, JSON.stringify(rollups));
    assert.deepEqual([rollups.stale, rollups.lastError], [0, null]);
    const store = runtime.readStore;
    const iso = (ms: number) => new Date(ms).toISOString();
    const H = 3_600_000;
    let trusted = 0;
    const requests: Record<string, string>[] = [
      { at: iso(END) },
      { at: iso(END), from: iso(ORIGIN) },
      { at: iso(END - 7 * H - 17 * 60_000), from: iso(ORIGIN + 5 * H + 30 * 60_000) },
      { at: iso(END), from: iso(ORIGIN), plant: 'P04,P05', flow: 'order_release,goods_receipt,shipment' },
    ];
    for (const q of requests) {
      const f = parseFilters(new URLSearchParams(q));
      const plan = await planKpi(store, f, ALL_PLANTS);
      const hours = await scalar(store, `SELECT count() FROM (SELECT DISTINCT plant, flow, hour FROM kpi_changes WHERE hour >= '${plan.hours!.from}' AND hour < '${plan.hours!.to}')`);
      if (!q.plant) trusted += hours - plan.rawKeys.length;
      for (const scope of [ALL_PLANTS, { plants: ['P02', 'P04'] }]) {
        assert.deepEqual(await getOverview(store, f, scope), await getOverview(store, f, scope, { rollups: false }));
        assert.deepEqual(await getFlowMatrix(store, f, scope, { silent_after_minutes: 30 }), await getFlowMatrix(store, f, scope, { silent_after_minutes: 30 }, { rollups: false }));
        assert.deepEqual(await getLatency(store, f, scope), await getLatency(store, f, scope, { rollups: false }));
        // the variance at `at` as cut-off: settled hours' inventory effects from the KPI rollup, the rest raw
        const variance = await getInventoryVariance(store, f, scope, { only: 'all' }, { everyKey: true });
        assert.deepEqual(variance, await getInventoryVariance(store, f, scope, { only: 'all' }, { rollups: false, everyKey: true }));
        assert.ok(variance.items.some((r) => r.explained_pending !== 0 || r.explained_failed !== 0 || r.explained_duplicate !== 0));
        // every exception of the range, and the aging buckets
        const list = { ...f, limit: 10_000, offset: 0 };
        const exceptions = await getExceptions(store, list, scope, { status: 'all' });
        assert.deepEqual(exceptions, await getExceptions(store, list, scope, { status: 'all' }, { rollups: false }));
        assert.ok(exceptions.items.length > 0 && exceptions.items.length < 10_000);
        assert.deepEqual(await getExceptionAging(store, f, scope, { status: 'open' }), await getExceptionAging(store, f, scope, { status: 'open' }, { rollups: false }));
        // every SLA breach of the range, open and closed
        const breaches = await getSlaBreaches(store, list, scope, {});
        assert.deepEqual(breaches, await getSlaBreaches(store, list, scope, {}, { rollups: false }));
        assert.ok(breaches.items.some((b) => b.state === 'open') && breaches.items.some((b) => b.state === 'closed') && breaches.items.length < 10_000);
      }
    }
    // the rollup served hundreds of plant × flow × hours in these requests
    assert.ok(trusted > 500, `expected most hours from rollups, got ${trusted}`);
  });
});
