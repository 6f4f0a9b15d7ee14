// KPI rollups (plant × flow × hour, migration 009): which hours a request may read from them, worked
// out by hand on the views test day (test/support/views-dataset.ts), and that every figure of the
// overview, flow matrix, latency view, exception and SLA lists is the same from rollups as from raw rows, before and after
// a late event, an exception action or an SLA policy change moves an hour on.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_PLANTS, parseFilters, type Filters, type Scope } from '../queries/filters';
import { getOverview } from '../queries/getOverview';
import { getFlowMatrix } from '../queries/getFlowMatrix';
import { getLatency } from '../queries/getLatency';
import { getInventoryVariance } from '../queries/getInventoryVariance';
import { getSlaSummary } from '../queries/getSlaSummary';
import { planKpi, rawRestriction } from '../queries/kpiRollup';
import { getExceptions } from '../queries/getExceptions';
import { getExceptionAging } from '../queries/getExceptionAging';
import { getFailedOrderReleases } from '../queries/getFailedOrderReleases';
import { getSlaBreaches } from '../queries/getSlaBreaches';
import { listConditions, listTransactions, pageByHours, pageBySlowest, type TransactionListParams } from '../queries/listTransactions';
import { buildStaleRollups } from '../ingest/rollups';
import { execute, insertRows, queryRows, raw, sql, type Store } from '../clickhouse/client';
import { openTestStore, scalar } from './support/store';
import { posting } from './support/fixtures';
import { AT, loadViewsDataset } from './support/views-dataset';

let store: Store;
const filters = (q = '') => parseFilters(new URLSearchParams(q.includes('at=') ? q : `at=${AT}${q ? `&${q}` : ''}`));
const keys = async (f: Filters, scope: Scope = ALL_PLANTS) => (await planKpi(store, f, scope)).rawKeys.map((k) => k.join('/')).sort();

/** The transaction lists whose pages are found from the rollup's hourly counts (listTransactions.ts selectedCountSql); every view compares the first four. */
const LIST_VARIANTS: TransactionListParams[] = [
  {},
  { status: ['posted', 'failed'] },
  { sla: ['met', 'closed_breach', 'open_breach'] },
  { first_pass: 'false' },
  { status: ['pending'] },
  { sla: ['open'] },
  { sla: ['closed_breach'] },
  { first_pass: 'true' },
  // slowest first: found from the latencies the rollup holds (pageBySlowest)
  { status: ['posted'], sort: 'latency' },
];

/** Every view with a rollup (KPIs, SLA summary and breaches, inventory variance, exceptions), from rollups and from raw rows: must be equal. Returns the rollup answers. */
async function sameBothWays(f: Filters, scope: Scope = ALL_PLANTS) {
  const list = { ...f, limit: 1000, offset: 0 };
  const fromRollups = {
    exceptions: (await getExceptions(store, list, scope, { status: 'all' })).items,
    openExceptions: (await getExceptions(store, list, scope, { status: 'open' })).items,
    aging: (await getExceptionAging(store, f, scope, { status: 'open' })).items,
    releases: (await getFailedOrderReleases(store, list, scope)).items,
    overview: await getOverview(store, f, scope),
    flows: (await getFlowMatrix(store, f, scope, { silent_after_minutes: 30 })).items,
    latency: (await getLatency(store, f, scope)).items,
    sla: (await getSlaSummary(store, f, scope)).items,
    breaches: (await getSlaBreaches(store, list, scope, {})).items,
    closedBreaches: (await getSlaBreaches(store, list, scope, { state: 'closed' })).items,
    variance: (await getInventoryVariance(store, list, scope, { only: 'all' })).items,
    varianceTotals: (await getInventoryVariance(store, list, scope, { only: 'all' })).totals,
    lists: await Promise.all(LIST_VARIANTS.slice(0, 4).map((p) => listTransactions(store, list, scope, p))),
  };
  const fromRaw = {
    exceptions: (await getExceptions(store, list, scope, { status: 'all' }, { rollups: false })).items,
    openExceptions: (await getExceptions(store, list, scope, { status: 'open' }, { rollups: false })).items,
    aging: (await getExceptionAging(store, f, scope, { status: 'open' }, { rollups: false })).items,
    releases: (await getFailedOrderReleases(store, list, scope, { rollups: false })).items,
    overview: await getOverview(store, f, scope, { rollups: false }),
    flows: (await getFlowMatrix(store, f, scope, { silent_after_minutes: 30 }, { rollups: false })).items,
    latency: (await getLatency(store, f, scope, { rollups: false })).items,
    sla: (await getSlaSummary(store, f, scope, { rollups: false })).items,
    breaches: (await getSlaBreaches(store, list, scope, {}, { rollups: false })).items,
    closedBreaches: (await getSlaBreaches(store, list, scope, { state: 'closed' }, { rollups: false })).items,
    variance: (await getInventoryVariance(store, list, scope, { only: 'all' }, { rollups: false })).items,
    varianceTotals: (await getInventoryVariance(store, list, scope, { only: 'all' }, { rollups: false })).totals,
    lists: await Promise.all(LIST_VARIANTS.slice(0, 4).map((p) => listTransactions(store, list, scope, p, { rollups: false }))),
  };
  assert.deepEqual(fromRollups, fromRaw);
  return fromRollups;
}

before(async () => {
  ({ store } = await openTestStore());
  await loadViewsDataset(store, { config: true, duplicates: true });
  // T13, beside T10 (P01 goods_receipt, 11-01 10:00): posted 20 s after it occurred, within any threshold
  // there can be, so the SLA rollup leaves it out
  await insertRows(
    store,
    'postings',
    null,
    JSON.stringify(toRow(posting({ event_id: 'e20', correlation_id: 'T13', plant: 'P01', flow: 'goods_receipt', status: 'posted', attempt: 1, occurred_at: '2026-11-01T10:20:00Z', reported_at: '2026-11-01T10:20:20Z' }))) + '\n',
    'fixture-t13',
  );
});

after(async () => {
  await store.close();
});

test('before any build every hour is read raw, and the figures are the hand-computed ones', async () => {
  // 10 hours with postings in the default range (the 24 h before AT): none has a rollup row yet
  assert.equal((await keys(filters())).length, 10);
  const { overview } = await sameBothWays(filters());
  assert.equal(overview.transactions, 11);
  assert.equal(overview.open_exceptions, 3);
});

test('after a build, only the hours a rollup cannot answer for `at` are read raw', async () => {
  // just loaded: no counter has been still for a minute, so a builder that waits that long builds nothing
  assert.deepEqual(await buildStaleRollups(store, Infinity, 60_000), { built: 0, stale: 0 });
  // nothing else writes here: build without waiting
  const built = await buildStaleRollups(store, Infinity, 0);
  // 11 plant × flow × hour keys have postings (T10's and T13's hour on 11-01 too), and no key is left stale
  assert.deepEqual(built, { built: 11, stale: 0 });
  assert.equal(await scalar(store, 'SELECT count() FROM kpi_hourly'), 11);
  // at 12:00 only T9's hour (P01 goods_receipt 11:00) holds an event reported after `at` (12:30)
  assert.deepEqual(await keys(filters()), ['P01/goods_receipt/2026-11-03 11:00:00']);
  // at 13:00 every hour is trusted: the whole range comes from rollups
  assert.deepEqual(await keys(filters('at=2026-11-03T13:00:00Z')), []);
  // the exceptions rollup holds the transactions failed once everything is in: T3 (acknowledged 08:30),
  // T6 (assigned to ben 07:00), T11, and T12 (resolved by hand 11:00)
  const built_rows = await queryRows<{ correlation_id: string; plant: string; flow: string; hour: string; state: string }>(
    store, 'test', sql`SELECT correlation_id, plant, flow, hour, state FROM exceptions_hourly FINAL ORDER BY correlation_id`);
  assert.deepEqual(built_rows, [
    { correlation_id: 'T11', plant: 'P02', flow: 'quality_hold', hour: '2026-11-03 11:00:00', state: 'open' },
    { correlation_id: 'T12', plant: 'P01', flow: 'material_issue', hour: '2026-11-03 10:00:00', state: 'resolved' },
    { correlation_id: 'T3', plant: 'P01', flow: 'order_release', hour: '2026-11-03 08:00:00', state: 'acknowledged' },
    { correlation_id: 'T6', plant: 'P02', flow: 'scrap', hour: '2026-11-02 13:00:00', state: 'assigned' },
  ]);
  // the SLA rollup holds every transaction not posted once everything is in (T3, T4, T5, T6, T11, T12)
  // and every one posted more than a minute after it occurred, with its latency: T1 10 min, T2 40, T7 20,
  // T8 25 (its first posting), T9 90 (posted 12:30), T10 5; not T13 (20 s)
  assert.deepEqual(
    await queryRows(store, 'test', sql`SELECT correlation_id, hour, status, latency_ms FROM sla_hourly FINAL ORDER BY correlation_id`),
    [
      { correlation_id: 'T1', hour: '2026-11-03 10:00:00', status: 'posted', latency_ms: 600000 },
      { correlation_id: 'T10', hour: '2026-11-01 10:00:00', status: 'posted', latency_ms: 300000 },
      { correlation_id: 'T11', hour: '2026-11-03 11:00:00', status: 'failed', latency_ms: null },
      { correlation_id: 'T12', hour: '2026-11-03 10:00:00', status: 'failed', latency_ms: null },
      { correlation_id: 'T2', hour: '2026-11-03 09:00:00', status: 'posted', latency_ms: 2400000 },
      { correlation_id: 'T3', hour: '2026-11-03 08:00:00', status: 'failed', latency_ms: null },
      { correlation_id: 'T4', hour: '2026-11-03 11:00:00', status: 'pending', latency_ms: null },
      { correlation_id: 'T5', hour: '2026-11-03 11:00:00', status: 'pending', latency_ms: null },
      { correlation_id: 'T6', hour: '2026-11-02 13:00:00', status: 'failed', latency_ms: null },
      { correlation_id: 'T7', hour: '2026-11-03 11:00:00', status: 'posted', latency_ms: 1200000 },
      { correlation_id: 'T8', hour: '2026-11-03 11:00:00', status: 'posted', latency_ms: 1500000 },
      { correlation_id: 'T9', hour: '2026-11-03 11:00:00', status: 'posted', latency_ms: 5400000 },
    ],
  );
  // at 13:00 the lists come from the rollup tables alone
  const at13 = { ...filters('at=2026-11-03T13:00:00Z'), limit: 100, offset: 0 };
  assert.equal(rawRestriction(at13, await planKpi(store, at13, ALL_PLANTS)), 'none');
  // the breaches over 11-02 13:00 to 11-03 13:00, oldest first, decided at 13:00 with the thresholds then
  // (P02 shipment 20 min, else the flow's default): T1 (10 of 15 min) and T7 (20 of 20) met them
  assert.deepEqual(
    (await getSlaBreaches(store, at13, ALL_PLANTS, {})).items.map((b) => [b.correlation_id, b.state, b.threshold_minutes, b.latency_seconds]),
    [
      ['T6', 'open', 30, 86_400],
      ['T3', 'open', 5, 18_000],
      ['T2', 'closed', 15, 2_400],
      ['T12', 'open', 15, 9_000],
      ['T9', 'closed', 15, 5_400],
      ['T8', 'closed', 20, 1_500],
      ['T4', 'open', 5, 4_200],
      ['T5', 'open', 15, 3_900],
      ['T11', 'open', 5, 3_720],
    ],
  );
  // oldest exception first, ages counted at 13:00
  assert.deepEqual(
    (await getExceptions(store, at13, ALL_PLANTS, { status: 'all' })).items.map((e) => [e.correlation_id, e.first_failed_at, e.age_seconds, e.age_bucket, e.state]),
    [
      ['T6', '2026-11-02T13:31:00.000Z', 84_540, '4-24h', 'assigned'],
      ['T3', '2026-11-03T08:00:30.000Z', 17_970, '4-24h', 'acknowledged'],
      ['T12', '2026-11-03T10:31:00.000Z', 8_940, '1-4h', 'resolved'],
      ['T11', '2026-11-03T11:58:30.000Z', 3_690, '1-4h', 'open'],
    ],
  );
  // at 10:45 over 09:00-12:00: T2's 09:00 and T1's 10:00 hours are trusted; T12's 10:00 hour counts
  // the resolve action of 11:00; every 11:00 hour holds events reported after 10:45
  assert.deepEqual(await keys(filters('at=2026-11-03T10:45:00Z&from=2026-11-03T09:00:00Z&to=2026-11-03T12:00:00Z')), [
    'P01/goods_receipt/2026-11-03 11:00:00',
    'P01/material_issue/2026-11-03 10:00:00',
    'P01/order_release/2026-11-03 11:00:00',
    'P02/material_issue/2026-11-03 11:00:00',
    'P02/quality_hold/2026-11-03 11:00:00',
    'P02/shipment/2026-11-03 11:00:00',
  ]);
  // a range ending inside an hour reads that partial hour raw, whatever the rollup: only whole hours are planned
  assert.deepEqual((await planKpi(store, filters('at=2026-11-03T10:45:00Z&from=2026-11-03T09:00:00Z'), ALL_PLANTS)).hours, { from: '2026-11-03 09:00:00', to: '2026-11-03 10:00:00' });
  // the plan follows the plant filter and the viewer's scope
  const at1045 = 'at=2026-11-03T10:45:00Z&from=2026-11-03T09:00:00Z&to=2026-11-03T12:00:00Z';
  assert.deepEqual(await keys(filters(`${at1045}&plant=P02`)), ['P02/material_issue/2026-11-03 11:00:00', 'P02/quality_hold/2026-11-03 11:00:00', 'P02/shipment/2026-11-03 11:00:00']);
  assert.deepEqual(await keys(filters(at1045), { plants: ['P01'] }), ['P01/goods_receipt/2026-11-03 11:00:00', 'P01/material_issue/2026-11-03 10:00:00', 'P01/order_release/2026-11-03 11:00:00']);
  assert.deepEqual(await keys(filters(`${at1045}&flow=order_release,scrap`)), ['P01/order_release/2026-11-03 11:00:00']);
});

test('rollups and raw rows agree for every range, `at`, filter and scope', async () => {
  const { overview } = await sameBothWays(filters());
  // the hand-computed day (views-dataset.ts, as views.test.ts asserts it from raw rows)
  const { by_plant, ...total } = overview;
  assert.deepEqual(total, {
    transactions: 11, posted: 4, failed: 4, pending: 3, first_pass_yield: 3 / 8, sla_compliance: 2 / 9,
    open_exceptions: 3, open_sla_breaches: 5, latency_p50_ms: 1_500_000, latency_p95_ms: 2_400_000,
  });
  assert.deepEqual(by_plant.map((p) => [p.plant, p.transactions, p.open_sla_breaches]), [['P01', 6, 4], ['P02', 5, 1]]);
  for (const q of [
    'at=2026-11-03T13:00:00Z',
    'at=2026-11-03T10:45:00Z&from=2026-11-03T09:00:00Z',
    'at=2026-11-03T10:45:00Z&from=2026-11-03T09:00:00Z&to=2026-11-03T12:00:00Z',
    'at=2026-11-04T00:00:00Z&from=2026-11-01T00:00:00Z',
    'at=2026-11-03T12:00:00Z&from=2026-11-02T12:30:00Z&to=2026-11-03T11:30:00Z',
    'plant=P02',
    'flow=goods_receipt,shipment',
    'at=2026-11-03T11:10:00Z',
  ]) {
    await sameBothWays(filters(q));
    await sameBothWays(filters(q), { plants: ['P01'] });
  }
});

test('a transaction list walked a page at a time: each page found from the rollup (hourly counts, latencies) is the raw list\'s, across hours and plan edges', async () => {
  await buildStaleRollups(store, Infinity, 0);
  // the day a page of 2 at a time; a range with partial hours at both edges a page of 1 at a time
  // and the day through a viewer limited to P01, a page of 1
  const cases: [string, number, Scope][] = [['', 2, ALL_PLANTS], ['at=2026-11-03T11:45:00Z&from=2026-11-03T08:30:00Z&to=2026-11-03T11:40:00Z', 1, ALL_PLANTS], ['', 1, { plants: ['P01'] }]];
  for (const [q, limit, scope] of cases) {
    for (const p of LIST_VARIANTS) {
      const whole = await listTransactions(store, { ...filters(q), limit: 1000, offset: 0 }, scope, p, { rollups: false });
      const first = { ...filters(q), limit, offset: 0 };
      const found = p.sort === 'latency' ? await pageBySlowest(store, first, scope, p, listConditions(p)) : await pageByHours(store, first, scope, p, listConditions(p));
      assert.ok(found, `${q} ${JSON.stringify(scope)} ${JSON.stringify(p)}: answered from the rollup`);
      const walked: string[] = [];
      for (let offset = 0; ; offset += limit) {
        const f = { ...filters(q), limit, offset };
        const page = await listTransactions(store, f, scope, p);
        assert.deepEqual(page, await listTransactions(store, f, scope, p, { rollups: false }), `${q} ${JSON.stringify(scope)} ${JSON.stringify(p)} offset ${offset}`);
        assert.equal(page.total, whole.total);
        walked.push(...page.items.map((t) => t.correlation_id));
        if (!page.next_cursor) break;
      }
      assert.deepEqual(walked, whole.items.map((t) => t.correlation_id), `${q} ${JSON.stringify(scope)} ${JSON.stringify(p)}`);
    }
  }
  // past the last row: an empty page, the total still counted
  for (const rollups of [undefined, false]) {
    const past = await listTransactions(store, { ...filters(), limit: 5, offset: 50 }, ALL_PLANTS, {}, { rollups });
    assert.deepEqual([past.items, past.total, past.next_cursor], [[], 11, null]);
  }
});

test('slowest first, a negative latency (the systems\' clocks disagree) and ties keep their places; a page beyond every latency keeps them all', async () => {
  const { store: own } = await openTestStore();
  try {
    // P05 goods receipts occurred 09:10–09:40: latencies 60 s (T51, T54: a tie, T54 occurred later), −0.2 s (T52: posted "before"
    // it occurred), 30 s (T53); T55 pending. Slowest first: T54, T51, T53, T52
    const tx = (id: string, minute: number, latencyMs: number | null) => {
      const occurred = Date.parse(`2026-11-03T09:${minute}:00Z`);
      const base = { correlation_id: id, plant: 'P05', flow: 'goods_receipt', attempt: 1, occurred_at: new Date(occurred).toISOString() };
      return latencyMs === null
        ? [posting({ ...base, event_id: `${id}-p`, status: 'pending', reported_at: new Date(occurred + 1000).toISOString() })]
        : [posting({ ...base, event_id: `${id}-d`, status: 'posted', reported_at: new Date(occurred + latencyMs).toISOString() })];
    };
    const rows = [...tx('T51', 10, 60_000), ...tx('T52', 20, -200), ...tx('T53', 30, 30_000), ...tx('T54', 40, 60_000), ...tx('T55', 35, null)];
    await insertRows(own, 'postings', null, rows.map((r) => JSON.stringify(toRow(r))).join('\n') + '\n', 'p05');
    await buildStaleRollups(own, Infinity, 0);
    const f = (limit: number, offset: number) => ({ ...parseFilters(new URLSearchParams('at=2026-11-03T12:00:00Z')), limit, offset });
    const slowest: TransactionListParams = { status: ['posted'], sort: 'latency' };
    for (const limit of [100, 3, 1]) {
      const walked: [string, number | null][] = [];
      for (let offset = 0; ; offset += limit) {
        assert.ok(await pageBySlowest(own, f(limit, offset), ALL_PLANTS, slowest, listConditions(slowest)), `limit ${limit} offset ${offset}: from the rollup`);
        const page = await listTransactions(own, f(limit, offset), ALL_PLANTS, slowest);
        assert.deepEqual(page, await listTransactions(own, f(limit, offset), ALL_PLANTS, slowest, { rollups: false }));
        assert.equal(page.total, 4);
        walked.push(...page.items.map((t) => [t.correlation_id, t.latency_ms] as [string, number | null]));
        if (!page.next_cursor) break;
      }
      assert.deepEqual(walked, [['T54', 60_000], ['T51', 60_000], ['T53', 30_000], ['T52', -200]], `limit ${limit}`);
    }
  } finally {
    await own.close();
  }
});

test('a late event and an exception action move their hour back to raw until rebuilt; an SLA policy change applies at once', async () => {
  await buildStaleRollups(store, Infinity, 0);
  const at = 'at=2026-11-03T13:00:00Z';
  assert.deepEqual(await keys(filters(at)), []);
  const before = (await sameBothWays(filters(at))).overview;

  // T3 (P01 order_release, 08:00) is finally posted at 12:10
  await insertRows(
    store,
    'postings',
    null,
    JSON.stringify({ ...toRow(posting({ event_id: 'e30', correlation_id: 'T3', plant: 'P01', flow: 'order_release', source_system: 'ERP', target_system: 'MES', status: 'posted', attempt: 2, occurred_at: '2026-11-03T08:00:00Z', reported_at: '2026-11-03T12:10:00Z' })) }) + '\n',
    'late-e30',
  );
  assert.deepEqual(await keys(filters(at)), ['P01/order_release/2026-11-03 08:00:00']);
  const afterLate = (await sameBothWays(filters(at))).overview;
  assert.equal(afterLate.posted, before.posted + 1);
  assert.equal(afterLate.failed, before.failed - 1);
  assert.equal(afterLate.open_exceptions, before.open_exceptions - 1);

  // T6 (P02 scrap, 11-02 13:00) is resolved by hand at 12:15
  await insertRows(
    store,
    'exception_actions',
    null,
    JSON.stringify({ action_id: 'a9', correlation_id: 'T6', plant: 'P02', flow: 'scrap', occurred_at: '2026-11-02 13:00:00.000', action: 'resolve', actor: 'ana', assignee: '', comment: 'posted by hand', details: '', at: '2026-11-03 12:15:00.000' }) + '\n',
    'late-a9',
  );
  assert.deepEqual(await keys(filters(at)), ['P01/order_release/2026-11-03 08:00:00', 'P02/scrap/2026-11-02 13:00:00']);
  assert.equal((await sameBothWays(filters(at))).overview.open_exceptions, before.open_exceptions - 2);

  // the builder leaves the two hours alone while their counters are fresh, then rebuilds them
  assert.deepEqual(await buildStaleRollups(store, Infinity, 60_000), { built: 0, stale: 0 });
  assert.deepEqual(await buildStaleRollups(store, Infinity, 0), { built: 2, stale: 0 });
  assert.deepEqual(await keys(filters(at)), []);
  assert.deepEqual((await sameBothWays(filters(at))).overview, (await getOverview(store, filters(at), ALL_PLANTS, { rollups: false })));
  // before the resolve action (12:15) the rebuilt scrap hour cannot answer: it counts that action
  assert.deepEqual(await keys(filters('at=2026-11-03T12:12:00Z&from=2026-11-02T13:00:00Z&to=2026-11-03T09:00:00Z')), ['P02/scrap/2026-11-02 13:00:00']);

  // P01 goods_receipt gets a 45-minute threshold from 12:30: no hour needs a rebuild, the threshold in
  // force at `at` is applied as the rollup is read. T2 took 40 minutes: late under 15, within 45.
  await insertRows(store, 'sla_policies', null, JSON.stringify({ plant: 'P01', flow: 'goods_receipt', threshold_minutes: 45, changed_by: 'admin', changed_at: '2026-11-03 12:30:00.000' }) + '\n', 'late-sla');
  assert.deepEqual(await keys(filters(at)), []);
  const goodsReceipts = async (q: string) => (await sameBothWays(filters(q))).sla.find((r) => r.plant === 'P01' && r.flow === 'goods_receipt')!;
  // at 13:00: T1 (10 min) and T2 (40 min) within 45, T9 (90 min) late
  assert.deepEqual(Object.values(await goodsReceipts(at)).slice(2, 8), [45, 3, 3, 2, 1, 0]);
  // at 12:20, before the change: 15 minutes; T1 within, T2 late, T9 still pending and an open breach
  assert.deepEqual(Object.values(await goodsReceipts('at=2026-11-03T12:20:00Z')).slice(2, 8), [15, 3, 2, 1, 1, 1]);
});

test('the inventory variance takes the inventory effects of settled hours from their kpi_hourly rows and the hand-computed figures stay', async () => {
  await buildStaleRollups(store, Infinity, 0);
  // at the 12:00 cut-off three hours are read raw: T9's 11:00 (an event reported 12:30), and, after the
  // test above, T3's 08:00 (posted at 12:10) and T6's scrap hour (resolved at 12:15)
  const f = parseFilters(new URLSearchParams({ at: '2026-11-03T12:00:00Z' }));
  assert.deepEqual((await planKpi(store, { ...f, flows: [], from: new Date(0), to: f.at }, ALL_PLANTS)).rawKeys.map((k) => k.join('/')).sort(), [
    'P01/goods_receipt/2026-11-03 11:00:00',
    'P01/order_release/2026-11-03 08:00:00',
    'P02/scrap/2026-11-02 13:00:00',
  ]);
  const { variance } = await sameBothWays(f);
  // K2 (P02/0002/M-200): failed T6 −0.25 KG and the ERP's second posting of T8 (+1.5 KG) explain 1.25
  const k2 = variance.find((r) => r.material === 'M-200')!;
  assert.deepEqual([k2.explained_pending, k2.explained_failed, k2.explained_duplicate, k2.residual], [0, -0.25, 1.5, 0]);
  for (const at of ['2026-11-03T11:30:00Z', '2026-11-03T13:00:00Z', '2026-11-04T00:00:00Z']) await sameBothWays(parseFilters(new URLSearchParams({ at })));

  // a receipt of +2 EA into K1 that occurred and was reported exactly at the 12:45 cut-off still counts
  await insertRows(
    store,
    'postings',
    null,
    JSON.stringify({ ...toRow(posting({ event_id: 'e40', correlation_id: 'T40', plant: 'P01', flow: 'goods_receipt', status: 'pending', attempt: 1, occurred_at: '2026-11-03T12:45:00Z', reported_at: '2026-11-03T12:45:00Z' })), target_system: 'ERP', storage_location: '0001', material: 'M-100', lot: 'L1', uom: 'EA', stock_delta: 2 }) + '\n',
    'cutoff-e40',
  );
  await buildStaleRollups(store, Infinity, 0);
  const atCutoff = (await sameBothWays(parseFilters(new URLSearchParams({ at: '2026-11-03T12:45:00Z' })))).variance.find((r) => r.material === 'M-100')!;
  // T9 was posted at 12:30, so pending is T40's +2 alone; T12's −3 is still failed
  assert.deepEqual([atCutoff.explained_pending, atCutoff.explained_failed, atCutoff.explained_duplicate], [2, -3, 0]);

  // an older build's effects never count, only the newest build's (its kpi_hourly row holds them). T12 is
  // posted by a replay reported at 14:00: its hour is built again with no effects, and the first build
  // (failed −3) stays beside it while merges are stopped
  await execute(store, 'test', sql`SYSTEM STOP MERGES kpi_hourly`);
  try {
    await insertRows(
      store,
      'postings',
      null,
      JSON.stringify({ ...toRow(posting({ event_id: 'e41', correlation_id: 'T12', plant: 'P01', flow: 'material_issue', status: 'posted', attempt: 2, occurred_at: '2026-11-03T10:30:00Z', reported_at: '2026-11-03T14:00:00Z' })), replay_of: 'e18', target_system: 'ERP', storage_location: '0001', material: 'M-100', lot: 'L1', uom: 'EA', stock_delta: -3 }) + '\n',
      'replay-e41',
    );
    await buildStaleRollups(store, Infinity, 0);
    const builds = await queryRows<{ keys: string[]; failed: string[] }>(
      store,
      'test',
      sql`SELECT inventory_keys AS keys, arrayMap(x -> toString(x), inventory_failed) AS failed
          FROM kpi_hourly WHERE plant = 'P01' AND flow = 'material_issue' AND hour = '2026-11-03 10:00:00' ORDER BY built_at`,
    );
    assert.deepEqual(builds, [{ keys: ['["P01","0001","M-100","L1","EA"]'], failed: ['-3'] }, { keys: [], failed: [] }]);
    // at 15:00 every hour of K1 comes from the rollup, and K1 has T40's +2 pending and nothing failed
    const at15 = parseFilters(new URLSearchParams({ at: '2026-11-03T15:00:00Z' }));
    assert.deepEqual((await planKpi(store, { ...at15, flows: [], from: new Date(0), to: at15.at }, ALL_PLANTS)).rawKeys, []);
    const k1 = (await sameBothWays(at15)).variance.find((r) => r.material === 'M-100')!;
    assert.deepEqual([k1.explained_pending, k1.explained_failed, k1.explained_duplicate], [2, 0, 0]);
  } finally {
    await execute(store, 'test', sql`SYSTEM START MERGES kpi_hourly`);
  }
});

test('an inventory key with quotes, a backslash, a tab and non-ASCII letters comes back from the rollup as it went in', async () => {
  // K6: P01, storage location 'Hall "B"\\1', material 'M-\tÜ', lot 'L,6': MES 14, ERP 10 EA, and a pending
  // receipt of +4 EA (T42) explains the variance of 4 in full
  const key = { plant: 'P01', storage_location: 'Hall "B"\\1', material: 'M-\tÜ', lot: 'L,6' };
  const lines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await insertRows(store, 'inventory_snapshots', null, lines([
    { ...key, snapshot_id: 's61', system: 'MES', quantity: 14, uom: 'EA', as_of: '2026-11-03 09:00:00.000', source: 'test', source_position: 's61' },
    { ...key, snapshot_id: 's62', system: 'ERP', quantity: 10, uom: 'EA', unit_cost: 3, as_of: '2026-11-03 09:00:00.000', source: 'test', source_position: 's62' },
  ]), 'k6-snapshots');
  await insertRows(
    store,
    'postings',
    null,
    JSON.stringify({ ...toRow(posting({ event_id: 'e42', correlation_id: 'T42', plant: 'P01', flow: 'goods_receipt', status: 'pending', attempt: 1, occurred_at: '2026-11-03T09:15:00Z', reported_at: '2026-11-03T09:15:05Z' })), target_system: 'ERP', ...key, uom: 'EA', stock_delta: 4 }) + '\n',
    'k6-e42',
  );
  await buildStaleRollups(store, Infinity, 0);
  const at15 = parseFilters(new URLSearchParams({ at: '2026-11-03T15:00:00Z' }));
  assert.deepEqual((await planKpi(store, { ...at15, flows: [], from: new Date(0), to: at15.at }, ALL_PLANTS)).rawKeys, []);
  const k6 = (await sameBothWays(at15)).variance.find((r) => r.lot === 'L,6')!;
  assert.deepEqual(k6, {
    plant: 'P01', storage_location: 'Hall "B"\\1', material: 'M-\tÜ', lot: 'L,6', uom: 'EA', mes_qty: 14, erp_qty: 10, variance: 4, value: 12,
    explained_pending: 4, explained_failed: 0, explained_duplicate: 0, residual: 0, flags: [],
  });
  // the material filter reads the key's parts from the rollup too
  const only = await getInventoryVariance(store, at15, ALL_PLANTS, { only: 'all', material: 'M-\tÜ' });
  assert.deepEqual(only.items, [k6]);
});

test('a build of another rollup version (a builder of an older release) is never trusted, and is rebuilt', async () => {
  await buildStaleRollups(store, Infinity, 0);
  const at = filters('at=2026-11-04T00:00:00Z&from=2026-11-03T00:00:00Z');
  assert.deepEqual(await keys(at), []);
  // an older builder writes T11's hour again, newest, as it knew to (no rollup_version: 0, no exception rows)
  await execute(store, 'test', sql`
    INSERT INTO kpi_hourly SELECT * REPLACE (rollup_version AS rollup_version, built_at + toIntervalSecond(1) AS built_at)
    FROM (SELECT * REPLACE (toUInt8(0) AS rollup_version) FROM kpi_hourly FINAL WHERE plant = 'P02' AND flow = 'quality_hold' AND hour = '2026-11-03 11:00:00')`);
  assert.deepEqual(await keys(at), ['P02/quality_hold/2026-11-03 11:00:00']);
  // read raw meanwhile: T11 is still in the exception list
  assert.ok((await sameBothWays(at)).exceptions.some((e) => e.correlation_id === 'T11'));
  // the current builder sees the foreign build as stale and builds the hour again
  assert.deepEqual(await buildStaleRollups(store, Infinity, 0), { built: 1, stale: 0 });
  assert.deepEqual(await keys(at), []);
  assert.ok((await sameBothWays(at)).exceptions.some((e) => e.correlation_id === 'T11'));
});

test('a second builder writing the same hours (its rows replace the first build\'s on merge before its kpi_hourly row lands) leaves nothing missing', async () => {
  await buildStaleRollups(store, Infinity, 0);
  const at = filters('at=2026-11-04T00:00:00Z&from=2026-11-02T00:00:00Z');
  assert.deepEqual(await keys(at), []);
  const before = await sameBothWays(at);
  assert.ok(before.exceptions.some((e) => e.correlation_id === 'T11') && before.breaches.some((b) => b.correlation_id === 'T8'));
  // the second builder has written its exception and SLA rows (a second later) and not yet its kpi_hourly row
  for (const table of ['exceptions_hourly', 'sla_hourly']) {
    await execute(store, 'test', sql`INSERT INTO ${raw(table)} SELECT * REPLACE (built_at + toIntervalSecond(1) AS built_at) FROM ${raw(table)} FINAL`);
    // the merge keeps each transaction's newest row: the trusted build's rows are gone
    await execute(store, 'test', sql`OPTIMIZE TABLE ${raw(table)} FINAL`);
  }
  for (const table of ['exceptions_hourly', 'sla_hourly']) {
    assert.equal(await scalar(store, `SELECT count() FROM ${table} WHERE (plant, flow, hour, built_at) IN (SELECT plant, flow, hour, built_at FROM kpi_hourly FINAL)`), 0, table);
  }
  // still trusted, and the lists served from the rollup are whole
  assert.deepEqual(await keys(at), []);
  const after = await sameBothWays(at);
  assert.deepEqual([after.exceptions, after.breaches], [before.exceptions, before.breaches]);
});

/** A decoded posting as the postings table stores it (JSONEachRow). */
function toRow(p: Record<string, unknown>) {
  const t = (s: unknown) => String(s).replace('T', ' ').replace('Z', '');
  return {
    event_id: p.event_id, correlation_id: p.correlation_id, flow: p.flow, plant: p.plant, source_system: p.source_system, target_system: p.target_system,
    status: p.status, attempt: p.attempt, occurred_at: t(p.occurred_at), reported_at: t(p.reported_at), source: 'test', source_position: String(p.event_id),
  };
}
