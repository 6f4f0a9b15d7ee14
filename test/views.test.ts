// The business views' numbers (CONTRACT §3, §4) on a small hand-built day whose answers were worked
// out by hand (test/support/views-dataset.ts): current status with its tie rule, first-pass yield,
// SLA with a plant override, exception ages and buckets, events reported after `at` invisible,
// duplicates counted once, inventory variance and what explains it.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_PLANTS, parseFilters, problemsOf, BadRequest } from '../queries/filters';
import { slowestRank } from '../components/format';
import { getOverview } from '../queries/getOverview';
import { exceptionParams, getExceptions, type ExceptionParams } from '../queries/getExceptions';
import { getExceptionAging } from '../queries/getExceptionAging';
import { getFailedOrderReleases } from '../queries/getFailedOrderReleases';
import { getSlaBreaches } from '../queries/getSlaBreaches';
import { getLatency } from '../queries/getLatency';
import { getTransaction } from '../queries/getTransaction';
import { searchTransactions } from '../queries/searchTransactions';
import { getInventoryVariance } from '../queries/getInventoryVariance';
import { listTransactions, transactionListParams, type TransactionListParams } from '../queries/listTransactions';
import { openTestStore } from './support/store';
import { insertRows, type Store } from '../clickhouse/client';
import { AT, loadViewsDataset } from './support/views-dataset';

let store: Store;
const filters = (q = '') => parseFilters(new URLSearchParams(q.includes('at=') ? q : `at=${AT}${q ? `&${q}` : ''}`));

before(async () => {
  ({ store } = await openTestStore());
  await loadViewsDataset(store, { config: true, duplicates: true });
});

after(async () => {
  await store.close();
});

test('overview: statuses by the latest event (ties: posted > failed > pending), FPY, SLA with the plant override, latency', async () => {
  const o = await getOverview(store, filters(), ALL_PLANTS);
  const { by_plant, ...total } = o;
  assert.deepEqual(total, {
    transactions: 11, posted: 4, failed: 4, pending: 3,
    first_pass_yield: 3 / 8,
    sla_compliance: 2 / 9,
    open_exceptions: 3,
    open_sla_breaches: 5,
    latency_p50_ms: 1_500_000,
    latency_p95_ms: 2_400_000,
  });
  assert.deepEqual(by_plant, [
    { plant: 'P01', transactions: 6, posted: 2, failed: 2, pending: 2, first_pass_yield: 1 / 4, sla_compliance: 1 / 6, open_exceptions: 1, open_sla_breaches: 4, latency_p50_ms: 2_400_000, latency_p95_ms: 2_400_000 },
    { plant: 'P02', transactions: 5, posted: 2, failed: 2, pending: 1, first_pass_yield: 2 / 4, sla_compliance: 1 / 3, open_exceptions: 2, open_sla_breaches: 1, latency_p50_ms: 1_500_000, latency_p95_ms: 1_500_000 },
  ]);
});

test('a plant filter and a plant scope both narrow every figure', async () => {
  const byFilter = await getOverview(store, filters('plant=P02'), ALL_PLANTS);
  const byScope = await getOverview(store, filters(), { plants: ['P02'] });
  for (const o of [byFilter, byScope]) {
    assert.equal(o.transactions, 5);
    assert.equal(o.open_exceptions, 2);
    assert.deepEqual(o.by_plant.map((p) => p.plant), ['P02']);
  }
  // asking for a plant outside the scope gives nothing, not that plant
  const outside = await getOverview(store, filters('plant=P01'), { plants: ['P02'] });
  assert.equal(outside.transactions, 0);
});

test('the view as it stood at an earlier instant: later events and transactions do not exist yet', async () => {
  const o = await getOverview(store, filters('at=2026-11-03T10:20:00Z'), ALL_PLANTS);
  assert.deepEqual([o.transactions, o.posted, o.failed, o.pending, o.open_exceptions], [4, 2, 2, 0, 2]);
});

test('exceptions age from the first failure after the last non-failed event, oldest first', async () => {
  const { items, next_cursor } = await getExceptions(store, filters(), ALL_PLANTS, { status: 'open' });
  assert.equal(next_cursor, null);
  assert.deepEqual(
    items.map((i) => [i.correlation_id, i.first_failed_at, i.age_seconds, i.age_bucket, i.state, i.assignee, i.attempts, i.error_category, i.recoverable]),
    [
      ['T6', '2026-11-02T13:31:00.000Z', 80_940, '4-24h', 'assigned', 'ben', 2, 'timeout', true],
      ['T3', '2026-11-03T08:00:30.000Z', 14_370, '1-4h', 'acknowledged', '', 1, 'master_data', false],
      ['T11', '2026-11-03T11:58:30.000Z', 90, '<1h', 'open', '', 1, 'validation', true],
    ],
  );
  const all = await getExceptions(store, filters(), ALL_PLANTS, { status: 'all' });
  assert.deepEqual(all.items.map((i) => [i.correlation_id, i.state, i.age_bucket]), [
    ['T6', 'assigned', '4-24h'],
    ['T3', 'acknowledged', '1-4h'],
    ['T12', 'resolved', '1-4h'],
    ['T11', 'open', '<1h'],
  ]);
  const validation = await getExceptions(store, filters(), ALL_PLANTS, { status: 'open', category: 'validation' });
  assert.deepEqual(validation.items.map((i) => i.correlation_id), ['T11']);
  const oneToFour = await getExceptions(store, filters(), ALL_PLANTS, { status: 'open', aging: ['1-4h'] });
  assert.deepEqual(oneToFour.items.map((i) => i.correlation_id), ['T3']);
  const unrecoverable = await getExceptions(store, filters(), ALL_PLANTS, { status: 'open', recoverable: 'false' });
  assert.deepEqual(unrecoverable.items.map((i) => i.correlation_id), ['T3']);
});

test('paging: limit and cursor walk the list without gaps', async () => {
  const first = await getExceptions(store, filters('limit=2'), ALL_PLANTS, { status: 'open' });
  assert.deepEqual(first.items.map((i) => i.correlation_id), ['T6', 'T3']);
  assert.ok(first.next_cursor);
  const second = await getExceptions(store, filters(`limit=2&cursor=${first.next_cursor}`), ALL_PLANTS, { status: 'open' });
  assert.deepEqual(second.items.map((i) => i.correlation_id), ['T11']);
  assert.equal(second.next_cursor, null);
  // a page that holds the rest exactly is the last: no cursor to an empty page
  const whole = await getExceptions(store, filters('limit=3'), ALL_PLANTS, { status: 'open' });
  assert.deepEqual([whole.items.map((i) => i.correlation_id), whole.next_cursor], [['T6', 'T3', 'T11'], null]);
  const lastTwo = await getExceptions(store, filters(`limit=1&cursor=${first.next_cursor}`), ALL_PLANTS, { status: 'open' });
  assert.deepEqual(lastTwo.items.map((i) => i.correlation_id), ['T11']);
  assert.equal(lastTwo.next_cursor, null);
  // the same in every list: the 11 transactions of the day in a page of 11, the SLA breaches, the failed releases
  const all = await listTransactions(store, filters('limit=11'), ALL_PLANTS, {});
  assert.deepEqual([all.items.length, all.total, all.next_cursor], [11, 11, null]);
  assert.ok((await listTransactions(store, filters('limit=10'), ALL_PLANTS, {})).next_cursor);
  const breaches = await getSlaBreaches(store, filters('limit=100'), ALL_PLANTS, {});
  assert.equal((await getSlaBreaches(store, filters(`limit=${breaches.items.length}`), ALL_PLANTS, {})).next_cursor, null);
  assert.equal((await getFailedOrderReleases(store, filters('limit=1'), ALL_PLANTS)).next_cursor, null);
});

test('exception aging: open exceptions per plant and bucket', async () => {
  const { items } = await getExceptionAging(store, filters(), ALL_PLANTS, { status: 'open' });
  assert.deepEqual(items, [
    { plant: 'P01', bucket: '1-4h', count: 1 },
    { plant: 'P02', bucket: '<1h', count: 1 },
    { plant: 'P02', bucket: '4-24h', count: 1 },
  ]);
});

test('failed order releases', async () => {
  const { items } = await getFailedOrderReleases(store, filters(), ALL_PLANTS);
  assert.deepEqual(items, [
    {
      correlation_id: 'T3', plant: 'P01', order_no: '100200', material: 'M-9', error_code: 'MES-404', error_category: 'master_data',
      error_message: 'Material M-9 is not in the MES master', attempts: 1, first_failed_at: '2026-11-03T08:00:30.000Z',
      age_seconds: 14_370, age_bucket: '1-4h', state: 'acknowledged',
    },
  ]);
});

test('SLA breaches: open ones by time since occurred, closed ones by latency, thresholds in force', async () => {
  const { items } = await getSlaBreaches(store, filters(), ALL_PLANTS, {});
  assert.deepEqual(
    items.map((i) => [i.correlation_id, i.state, i.flow, i.threshold_minutes, i.latency_seconds]),
    [
      ['T6', 'open', 'scrap', 30, 82_800],
      ['T3', 'open', 'order_release', 5, 14_400],
      ['T2', 'closed', 'goods_receipt', 15, 2_400],
      ['T12', 'open', 'material_issue', 15, 5_400],
      ['T9', 'open', 'goods_receipt', 15, 3_600],
      ['T8', 'closed', 'shipment', 20, 1_500],
      ['T4', 'open', 'order_release', 5, 600],
    ],
  );
  const closed = await getSlaBreaches(store, filters(), ALL_PLANTS, { state: 'closed' });
  assert.deepEqual(closed.items.map((i) => i.correlation_id), ['T2', 'T8']);
});

test('latency per plant and flow (exact quantiles)', async () => {
  const { items } = await getLatency(store, filters(), ALL_PLANTS);
  assert.deepEqual(items, [
    { plant: 'P01', flow: 'goods_receipt', count: 2, p50_ms: 2_400_000, p95_ms: 2_400_000, p99_ms: 2_400_000 },
    { plant: 'P02', flow: 'shipment', count: 2, p50_ms: 1_500_000, p95_ms: 1_500_000, p99_ms: 1_500_000 },
  ]);
});

test('the rows behind a ratio, a percentile and a plant\'s reasons: the lists the pages link to hold exactly what the figures count', async () => {
  const list = async (p: TransactionListParams, q = '') => (await listTransactions(store, filters(q), ALL_PLANTS, p)).items.map((t) => t.correlation_id);
  const sorted = async (p: TransactionListParams, q = '') => (await list(p, q)).sort();
  // posting success 4 / 8 and first-pass yield 3 / 8: the finished transactions are T1, T2, T7, T8 (posted)
  // and T3, T6, T11, T12 (failed); posted on attempt 1: T1, T7, T8 (T2 failed its attempt 1)
  assert.deepEqual(await sorted({ status: ['posted', 'failed'] }), ['T1', 'T11', 'T12', 'T2', 'T3', 'T6', 'T7', 'T8']);
  assert.deepEqual(await sorted({ first_pass: 'true' }), ['T1', 'T7', 'T8']);
  // SLA compliance 2 / 9: within threshold T1 and T7 (20 min = P02's shipment override); counted: those,
  // posted late T2 and T8, open breaches T3, T4, T6, T9, T12 (T5 and T11 are still within their thresholds)
  assert.deepEqual(await sorted({ sla: ['met'] }), ['T1', 'T7']);
  assert.deepEqual(await sorted({ sla: ['met', 'closed_breach', 'open_breach'] }), ['T1', 'T12', 'T2', 'T3', 'T4', 'T6', 'T7', 'T8', 'T9']);
  // P01's 1 / 6: T1 within; T2 late; T3, T4, T9, T12 open breaches
  assert.deepEqual(await sorted({ sla: ['met', 'closed_breach', 'open_breach'] }, 'plant=P01'), ['T1', 'T12', 'T2', 'T3', 'T4', 'T9']);
  // latency, slowest first: T2 40 min, T8 25 min, T7 20 min, T1 10 min. quantileExact takes position
  // ⌊level × n⌋ of the ascending latencies: p95 of 4 is position 3 (T2, the 1st slowest), p50 position 2
  // (T8, the 2nd slowest): the overview's 2 400 000 and 1 500 000 ms
  const slowest = await listTransactions(store, filters(), ALL_PLANTS, { status: ['posted'], sort: 'latency' });
  assert.deepEqual(slowest.items.map((t) => [t.correlation_id, t.latency_ms]), [['T2', 2_400_000], ['T8', 1_500_000], ['T7', 1_200_000], ['T1', 600_000]]);
  assert.deepEqual([slowestRank(0.95, 4), slowestRank(0.5, 4), slowestRank(0.99, 4)], [1, 2, 1]);
  // P02 shipment: p50 of 2 is position 1, T8's 25 min, the 1st slowest
  assert.deepEqual(await list({ status: ['posted'], sort: 'latency' }, 'plant=P02&flow=shipment'), ['T8', 'T7']);
  assert.equal(slowestRank(0.5, 2), 1);
  // and the lists' totals are the figures themselves: the overview's, the SLA summary's, the latency view's
  const o = await getOverview(store, filters(), ALL_PLANTS);
  const total = async (p: TransactionListParams, q = '') => (await listTransactions(store, filters(q), ALL_PLANTS, p)).total;
  assert.deepEqual(
    [await total({ status: ['posted', 'failed'] }), await total({ status: ['posted'] }), await total({ first_pass: 'true' }), await total({ sla: ['met'] }), await total({ sla: ['met', 'closed_breach', 'open_breach'] })],
    [o.posted + o.failed, o.posted, Math.round(o.first_pass_yield! * (o.posted + o.failed)), Math.round(o.sla_compliance! * (o.posted + o.open_sla_breaches)), o.posted + o.open_sla_breaches],
  );
  for (const l of (await getLatency(store, filters(), ALL_PLANTS)).items) assert.equal(await total({ status: ['posted'] }, `plant=${l.plant}&flow=${l.flow}`), l.count);
  // a plant's reasons: exceptions open 4 h or more (P02's T6) and under 4 h (T3 at P01, T11 at P02), oldest first
  const exceptions = async (aging: ExceptionParams['aging'], q = '') => (await getExceptions(store, filters(q), ALL_PLANTS, { status: 'open', aging })).items.map((i) => i.correlation_id);
  assert.deepEqual(await exceptions(['4-24h', '1-3d', '>3d']), ['T6']);
  assert.deepEqual(await exceptions(['<1h', '1-4h']), ['T3', 'T11']);
  assert.deepEqual(await exceptions(['<1h', '1-4h'], 'plant=P02'), ['T11']);
  assert.deepEqual(await exceptions(['4-24h', '1-3d', '>3d'], 'plant=P01'), []);
  // the lists' parameters as a link carries them, and a wrong one named with the reason
  assert.deepEqual(transactionListParams.parse({ status: 'failed,posted', sla: 'open_breach, met,met' }), { status: ['posted', 'failed'], sla: ['met', 'open_breach'] });
  assert.deepEqual(exceptionParams.parse({ aging: '4-24h,1-3d,>3d' }), { status: 'open', aging: ['4-24h', '1-3d', '>3d'] });
  const wrong = transactionListParams.safeParse({ status: 'posted,shipped' });
  assert.deepEqual(wrong.success ? null : problemsOf(wrong.error), ['status: expected one or more of pending, posted, failed, comma-separated: "shipped" is not one of them']);
});

test('one transaction end to end: every event once, its status, its SLA', async () => {
  const t8 = await getTransaction(store, 'T8', filters(), ALL_PLANTS);
  assert.ok(t8);
  assert.equal(t8.status, 'posted');
  assert.deepEqual(t8.events.map((e) => [e.event_id, e.status, e.document_no]), [
    ['e12', 'posted', '8000000012'],
    ['e13', 'posted', '8000000013'],
  ]);
  assert.deepEqual([t8.summary.latency_ms, t8.summary.sla_state, t8.summary.threshold_minutes], [1_500_000, 'closed_breach', 20]);
  // delivered twice, shown once
  const t7 = await getTransaction(store, 'T7', filters(), ALL_PLANTS);
  assert.equal(t7!.events.length, 1);
  // T9's posting at 12:30 does not exist yet at 12:00
  const t9 = await getTransaction(store, 'T9', filters(), ALL_PLANTS);
  assert.deepEqual([t9!.status, t9!.events.length], ['pending', 1]);
  const t12 = await getTransaction(store, 'T12', filters(), ALL_PLANTS);
  assert.deepEqual(t12!.actions.map((a) => [a.action, a.actor]), [['resolve', 'ana']]);
  assert.equal(t12!.summary.state, 'resolved');
  // out of scope: as if it did not exist
  assert.equal(await getTransaction(store, 'T8', filters(), { plants: ['P01'] }), null);
});

test('search by order, material, document and correlation id', async () => {
  const byOrder = await searchTransactions(store, '4713', filters(), ALL_PLANTS);
  assert.deepEqual(byOrder.items.map((i) => [i.correlation_id, i.status, i.matched_on]), [['T9', 'pending', ['order_no']]]);
  const byMaterial = await searchTransactions(store, 'M-100', filters(), ALL_PLANTS);
  assert.deepEqual(byMaterial.items.map((i) => i.correlation_id), ['T9', 'T12', 'T1', 'T2']);
  const byDocument = await searchTransactions(store, '5000000002', filters(), ALL_PLANTS);
  assert.deepEqual(byDocument.items.map((i) => [i.correlation_id, i.matched_on]), [['T2', ['document_no']]]);
  const byId = await searchTransactions(store, 'T11', filters(), ALL_PLANTS);
  assert.deepEqual(byId.items.map((i) => i.matched_on), [['correlation_id']]);
  const scoped = await searchTransactions(store, 'M-100', filters(), { plants: ['P02'] });
  assert.deepEqual(scoped.items, []);
});

test('inventory variance at the cut-off: pending, failed and duplicate postings explain it; the rest is flagged', async () => {
  const { items, totals, next_cursor } = await getInventoryVariance(store, filters(), ALL_PLANTS, { only: 'all' });
  // over every key: 3 flagged; value 10 + 5 − 14 (the keys without both balances have none), unsigned
  // 10 + 5 + 14 = 29; the unexplained residual −2 EA of M-300 at its ERP unit cost 7 (−14 ÷ −2)
  assert.deepEqual(totals, { keys: 5, flagged: 3, value: 1, value_abs: 29, unexplained_value: -14, unexplained_value_abs: 14 });
  assert.equal(next_cursor, null);
  assert.deepEqual(items, [
    { plant: 'P01', storage_location: '0001', material: 'M-100', lot: 'L1', uom: 'EA', mes_qty: 120, erp_qty: 116, variance: 4, value: 10, explained_pending: 7, explained_failed: -3, explained_duplicate: 0, residual: 0, flags: [] },
    { plant: 'P01', storage_location: '0001', material: 'M-400', lot: '', uom: 'KG', mes_qty: null, erp_qty: 4, variance: null, value: null, explained_pending: 0, explained_failed: 0, explained_duplicate: 0, residual: null, flags: ['no_conversion'] },
    { plant: 'P01', storage_location: '0009', material: 'M-500', lot: '', uom: 'EA', mes_qty: null, erp_qty: 3, variance: null, value: null, explained_pending: 0, explained_failed: 0, explained_duplicate: 0, residual: null, flags: ['missing_mes'] },
    { plant: 'P02', storage_location: '0002', material: 'M-200', lot: '', uom: 'KG', mes_qty: 50.75, erp_qty: 49.5, variance: 1.25, value: 5, explained_pending: 0, explained_failed: -0.25, explained_duplicate: 1.5, residual: 0, flags: [] },
    { plant: 'P02', storage_location: '0002', material: 'M-300', lot: 'LX', uom: 'EA', mes_qty: 10, erp_qty: 12, variance: -2, value: -14, explained_pending: 0, explained_failed: 0, explained_duplicate: 0, residual: -2, flags: ['unexplained'] },
  ]);
});

test('the transactions behind each explained part of a variance row are exactly the ones it sums (the inventory page links there)', async () => {
  // the inventory page's link: the key, every day kept up to the cut-off, no flow filter
  const linked = (q: string) => filters(`from=2025-09-29T12:00:01.000Z&to=2026-11-03T12:00:01.000Z&${q}`);
  const ids = async (q: string, p: TransactionListParams) => (await listTransactions(store, linked(q), ALL_PLANTS, p)).items.map((t) => t.correlation_id).sort();
  const m100 = { storage_location: '0001', material: 'M-100', lot: 'L1' };
  const m200 = { storage_location: '0002', material: 'M-200', lot: '' };
  // P01 M-100 L1: pending +7 is T9 (posted only at 12:30, after the cut-off); failed −3 is T12 (a
  // material issue; the flow filter of the inventory page does not narrow it); T1 and T2 were posted by then
  assert.deepEqual(await ids('plant=P01', { ...m100, explains: 'pending' }), ['T9']);
  assert.deepEqual(await ids('plant=P01', { ...m100, explains: 'failed' }), ['T12']);
  assert.deepEqual(await ids('plant=P01', { ...m100, explains: 'duplicate' }), []);
  // P02 M-200: failed −0.25 is T6; duplicate +1.5 is T8 (two posted events); T7 posted once
  assert.deepEqual(await ids('plant=P02', { ...m200, explains: 'failed' }), ['T6']);
  assert.deepEqual(await ids('plant=P02', { ...m200, explains: 'duplicate' }), ['T8']);
  // another lot of the same material is another key
  assert.deepEqual(await ids('plant=P01', { ...m100, lot: 'L2', explains: 'failed' }), []);
  // beside each, its status among the ERP-bound stock events at the cut-off (the list's `at`) and its part
  // of the figure in its own unit; T8's second posting is +1.5 KG of the variance
  const parts = async (q: string, p: TransactionListParams) =>
    (await listTransactions(store, linked(q), ALL_PLANTS, p)).items.map((t) => [t.correlation_id, t.status, t.status_at_cutoff, t.explained_qty, t.explained_uom]);
  assert.deepEqual(await parts('plant=P01', { ...m100, explains: 'pending' }), [['T9', 'pending', 'pending', 7, 'EA']]);
  assert.deepEqual(await parts('plant=P01', { ...m100, explains: 'failed' }), [['T12', 'failed', 'failed', -3, 'EA']]);
  assert.deepEqual(await parts('plant=P02', { ...m200, explains: 'failed' }), [['T6', 'failed', 'failed', -0.25, 'KG']]);
  assert.deepEqual(await parts('plant=P02', { ...m200, explains: 'duplicate' }), [['T8', 'posted', 'posted', 1.5, 'KG']]);
  // a list that explains nothing carries none of these
  assert.equal('explained_qty' in (await listTransactions(store, filters(), ALL_PLANTS, {})).items[0], false);
  // a key's parts without explains are refused with the reason
  const refused = transactionListParams.safeParse({ lot: 'L1' });
  assert.equal(refused.success, false);
  assert.equal(refused.error?.issues[0].message, 'storage_location and lot narrow an inventory key: they go with explains');
});

test('the latest stock count: the newest instant both MES and ERP balances were taken, up to `at`', async () => {
  const { latestStockCount } = await import('../queries/getInventoryVariance');
  // 11:30 (M-200, M-300, M-400 on both sides); the 12:30 MES balance is after AT and has no ERP partner
  assert.equal(await latestStockCount(store, filters(), ALL_PLANTS), '2026-11-03T11:30:00.000Z');
  // M-100: both at 11:00 (its ERP 10:00 balance has no MES partner)
  assert.equal(await latestStockCount(store, filters(), ALL_PLANTS, 'M-100'), '2026-11-03T11:00:00.000Z');
  assert.equal(await latestStockCount(store, filters('at=2026-11-03T10:59:00Z'), ALL_PLANTS), null);
  assert.equal(await latestStockCount(store, filters(), { plants: ['P09'] }), null);
});

test('inventory variance a page at a time: flagged keys first, then the largest values; the totals cover every key', async () => {
  // flagged: M-300 (|value| 14), then M-400 and M-500 (no value) in key order; then M-100 (10), M-200 (5)
  const pages: string[][] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const page = await getInventoryVariance(store, filters(`limit=2${cursor ? `&cursor=${cursor}` : ''}`), ALL_PLANTS, { only: 'all', sort: 'attention' });
    assert.deepEqual(page.totals, { keys: 5, flagged: 3, value: 1, value_abs: 29, unexplained_value: -14, unexplained_value_abs: 14 });
    pages.push(page.items.map((i) => i.material));
    cursor = page.next_cursor;
  }
  assert.deepEqual(pages, [['M-300', 'M-400'], ['M-500', 'M-100'], ['M-200']]);
  // only the flagged keys: the totals are theirs
  // the keys with a variance value (what the value tile adds up): M-300, then M-100 (10) and M-200 (5)
  const valued = await getInventoryVariance(store, filters(), ALL_PLANTS, { only: 'variance', sort: 'attention' });
  assert.deepEqual(valued.items.map((i) => [i.material, i.value]), [['M-300', -14], ['M-100', 10], ['M-200', 5]]);
  assert.deepEqual(valued.totals, { keys: 3, flagged: 1, value: 1, value_abs: 29, unexplained_value: -14, unexplained_value_abs: 14 });
  const flagged = await getInventoryVariance(store, filters(), ALL_PLANTS, { only: 'unexplained' });
  assert.deepEqual(flagged.items.map((i) => i.material), ['M-400', 'M-500', 'M-300']);
  assert.deepEqual(flagged.totals, { keys: 3, flagged: 3, value: -14, value_abs: 14, unexplained_value: -14, unexplained_value_abs: 14 });
  // the export's whole list, whatever the page size
  const every = await getInventoryVariance(store, filters('limit=1'), ALL_PLANTS, { only: 'all' }, { everyKey: true });
  assert.equal(every.items.length, 5);
  assert.equal(every.next_cursor, null);
});

test('inventory variance: postings of one key in two units are converted and summed into one row; a cut-off after `at` is refused', async () => {
  // its own store: key P09/0001/M-900 (ERP in KG), nothing else
  const { store: own } = await openTestStore();
  const { IngestPipeline } = await import('../ingest/pipeline');
  const { decodeMessage } = await import('../ingest/decode');
  const pipeline = new IngestPipeline(own, { ingest: { batchRows: 100, flushIntervalMs: 5, maxBufferedRows: 1000 } }, () => undefined);
  const decode = (stream: 'postings' | 'inventory', list: object[]) =>
    list.map((o, i) => {
      const r = decodeMessage(stream, JSON.stringify(o), { source: 'file', position: `k9:${i}` });
      if (!r.ok) throw new Error(r.reason);
      return r.row;
    });
  const d = '2026-11-03T';
  const ev = (o: Record<string, unknown>) => ({ source_system: 'MES', target_system: 'ERP', flow: 'goods_receipt', plant: 'P09', storage_location: '0001', material: 'M-900', attempt: 1, ...o });
  await pipeline.submitPostings(decode('postings', [
    // TA: +5 KG, still pending
    ev({ event_id: 'k1', correlation_id: 'TA', status: 'pending', occurred_at: `${d}09:00:00Z`, reported_at: `${d}09:00:05Z`, stock_delta: 5, uom: 'KG' }),
    // TB: +3000 G, failed (1 G = 0.001 KG: 3 KG)
    ev({ event_id: 'k2', correlation_id: 'TB', status: 'failed', occurred_at: `${d}09:10:00Z`, reported_at: `${d}09:11:00Z`, stock_delta: 3000, uom: 'G', error: { code: 'M7-021', category: 'period_closed', message: 'closed' } }),
    // TC: +4 KG, posted: explains nothing
    ev({ event_id: 'k3', correlation_id: 'TC', status: 'pending', occurred_at: `${d}09:20:00Z`, reported_at: `${d}09:20:05Z`, stock_delta: 4, uom: 'KG' }),
    ev({ event_id: 'k4', correlation_id: 'TC', status: 'posted', occurred_at: `${d}09:20:00Z`, reported_at: `${d}09:30:00Z`, stock_delta: 4, uom: 'KG', document_no: '5000000099' }),
  ]) as never, 'k9');
  // MES 108 KG, ERP 100 KG at 2 a KG: variance 8 = 5 pending + 3 failed, value 16
  await pipeline.submitInventory(decode('inventory', [
    { snapshot_id: 'k9-mes', plant: 'P09', system: 'MES', storage_location: '0001', material: 'M-900', quantity: 108, uom: 'KG', as_of: `${d}10:00:00Z` },
    { snapshot_id: 'k9-erp', plant: 'P09', system: 'ERP', storage_location: '0001', material: 'M-900', quantity: 100, uom: 'KG', unit_cost: 2, as_of: `${d}10:00:00Z` },
  ]) as never, 'k9');
  await pipeline.close();
  await insertRows(own, 'uom_conversions', null, JSON.stringify({ material: 'M-900', from_uom: 'G', to_uom: 'KG', factor: 0.001, changed_at: '2026-01-01 00:00:00.000' }) + '\n', 'k9-uom');
  const f = { ...filters('at=2026-11-03T12:00:00Z&from=2026-11-03T00:00:00Z'), limit: 100, offset: 0 };
  const expected = [{
    plant: 'P09', storage_location: '0001', material: 'M-900', lot: '', uom: 'KG', mes_qty: 108, erp_qty: 100, variance: 8, value: 16,
    explained_pending: 5, explained_failed: 3, explained_duplicate: 0, residual: 0, flags: [],
  }];
  const raw = await getInventoryVariance(own, f, ALL_PLANTS, { only: 'all' }, { rollups: false });
  assert.deepEqual(raw.items, expected);
  assert.deepEqual(raw.totals, { keys: 1, flagged: 0, value: 16, value_abs: 16, unexplained_value: 0, unexplained_value_abs: 0 });
  // the same from the rollup, whose rows hold the effects per unit
  const { buildStaleRollups } = await import('../ingest/rollups');
  await buildStaleRollups(own, Infinity, 0);
  assert.deepEqual((await getInventoryVariance(own, f, ALL_PLANTS, { only: 'all' })).items, expected);
  // a cut-off after `at` would count what was not known at `at`
  await assert.rejects(
    getInventoryVariance(own, f, ALL_PLANTS, { only: 'all', as_of: new Date('2026-11-03T13:00:00Z') }),
    (e: unknown) => e instanceof BadRequest && e.message === 'as_of: 2026-11-03T13:00:00.000Z is after at (2026-11-03T12:00:00.000Z): balances and postings after at are not known yet',
  );
  await own.close();
});

test('ages are the time elapsed, floored to the second (not second boundaries crossed); buckets and silent plants at their exact limits', async () => {
  const { store: own } = await openTestStore();
  const { IngestPipeline } = await import('../ingest/pipeline');
  const { decodeMessage } = await import('../ingest/decode');
  const { getFlowMatrix } = await import('../queries/getFlowMatrix');
  const pipeline = new IngestPipeline(own, { ingest: { batchRows: 100, flushIntervalMs: 5, maxBufferedRows: 1000 } }, () => undefined);
  const failed = (id: string, plant: string, reported: string) => {
    const r = decodeMessage('postings', JSON.stringify({
      event_id: id, correlation_id: id, source_system: 'MES', target_system: 'ERP', flow: 'goods_receipt', plant, attempt: 1, status: 'failed',
      occurred_at: '2026-11-03T06:00:00Z', reported_at: reported, error: { code: 'E1', category: 'validation', message: 'no' },
    }), { source: 'file', position: id });
    if (!r.ok) throw new Error(r.reason);
    return r.row;
  };
  await pipeline.submitPostings([
    // at 11:00:00.100: 3599.2 s after 10:00:00.900 (3,600 second boundaries crossed): 3599, '<1h'
    failed('AG1', 'P01', '2026-11-03T10:00:00.900Z'),
    // exactly 4 h: 14400, '4-24h'; 1 ms less: 14399, '1-4h'
    failed('AG2', 'P01', '2026-11-03T07:00:00.100Z'),
    failed('AG3', 'P01', '2026-11-03T07:00:00.101Z'),
  ] as never, 'ages');
  await pipeline.close();
  const f = parseFilters(new URLSearchParams('at=2026-11-03T11:00:00.100Z&from=2026-11-03T00:00:00Z'));
  const { items } = await getExceptions(own, f, ALL_PLANTS, { status: 'open' });
  assert.deepEqual(items.map((i) => [i.correlation_id, i.age_seconds, i.age_bucket]), [['AG2', 14_400, '4-24h'], ['AG3', 14_399, '1-4h'], ['AG1', 3_599, '<1h']]);
  assert.deepEqual((await getExceptionAging(own, f, ALL_PLANTS, { status: 'open' })).items, [
    { plant: 'P01', bucket: '<1h', count: 1 },
    { plant: 'P01', bucket: '1-4h', count: 1 },
    { plant: 'P01', bucket: '4-24h', count: 1 },
  ]);
  // silent after 30 minutes: P01 last heard 10:00:00.900, at 10:31:00.100 is 30 min 59.2 s (30, silent);
  // at 10:30:00.800, 29 min 59.9 s (29, not silent: 30 minute boundaries were crossed)
  const pulse = async (at: string) => (await getFlowMatrix(own, parseFilters(new URLSearchParams(`at=${at}&from=2026-11-03T00:00:00Z`)), ALL_PLANTS, { silent_after_minutes: 30 })).plants;
  assert.deepEqual(await pulse('2026-11-03T10:31:00.100Z'), [{ plant: 'P01', last_reported_at: '2026-11-03T10:00:00.900Z', minutes_since_last: 30, silent: true }]);
  assert.deepEqual(await pulse('2026-11-03T10:30:00.800Z'), [{ plant: 'P01', last_reported_at: '2026-11-03T10:00:00.900Z', minutes_since_last: 29, silent: false }]);
  await own.close();
});

test('instants: no offset is UTC whatever the server\'s time zone; dates the calendar lacks and years outside 1900–2299 are refused', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'America/New_York';
  try {
    const f = parseFilters(new URLSearchParams('from=2026-11-03T09:00&to=2026-11-03T11:00:30.5&at=2026-11-03 12:00'));
    assert.deepEqual([f.from, f.to, f.at].map((d) => d.toISOString()), ['2026-11-03T09:00:00.000Z', '2026-11-03T11:00:30.500Z', '2026-11-03T12:00:00.000Z']);
    assert.equal(parseFilters(new URLSearchParams('at=2026-11-03T12:00:00%2B01:30')).at.toISOString(), '2026-11-03T10:30:00.000Z');
    assert.equal(parseFilters(new URLSearchParams('at=2026-03-29T02:30:00')).at.toISOString(), '2026-03-29T02:30:00.000Z');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
  const refused = (q: string, message: string) =>
    assert.throws(() => parseFilters(new URLSearchParams(q)), (e: unknown) => e instanceof BadRequest && e.message === message, q);
  refused('from=2026-02-30&to=2026-03-05', 'from: 2026-02-30 is not a time the calendar has');
  refused('at=2026-11-31T10:00:00Z', 'at: 2026-11-31T10:00:00Z is not a time the calendar has');
  refused('at=2026-11-03T24:00:00Z', 'at: 2026-11-03T24:00:00Z is not a time the calendar has');
  refused('at=0000-01-01T00:00:00Z', 'at: expected a time from 1900-01-01 to 2299-12-31');
  refused('at=9999-01-01T00:00:00Z', 'at: expected a time from 1900-01-01 to 2299-12-31');
  refused('at=2026-11-03T12:00:00%2B24:00', 'at: +24:00 is not a UTC offset');
  refused('at=2026-11-03T12:00:00Z&at=2027-01-01T00:00:00Z', 'at: given 2 times; give it once');
  refused('limit=1&limit=5000', 'limit: given 2 times; give it once');
  // lists may repeat
  assert.deepEqual(parseFilters(new URLSearchParams('plant=P01&plant=P02&flow=scrap&flow=shipment')).plants, ['P01', 'P02']);
});

test('a cursor continues the same list: as of the instant its first page was computed for, also when the request names no `at`', async () => {
  const first = await getExceptions(store, filters('limit=2'), ALL_PLANTS, { status: 'open' });
  assert.deepEqual(Buffer.from(first.next_cursor!, 'base64url').toString(), `o:2:a:${Date.parse(AT)}`);
  const next = parseFilters(new URLSearchParams(`limit=2&cursor=${first.next_cursor}`));
  assert.equal(next.at.toISOString(), AT);
  assert.deepEqual((await getExceptions(store, next, ALL_PLANTS, { status: 'open' })).items.map((i) => i.correlation_id), ['T11']);
  // the same instant given again is fine; another one is refused
  assert.equal(parseFilters(new URLSearchParams(`limit=2&at=${AT}&cursor=${first.next_cursor}`)).offset, 2);
  assert.throws(
    () => parseFilters(new URLSearchParams(`limit=2&at=2026-11-03T13:00:00Z&cursor=${first.next_cursor}`)),
    (e: unknown) => e instanceof BadRequest && e.message === `cursor: it continues the list as of ${AT}, not at=2026-11-03T13:00:00.000Z; drop at or the cursor`,
  );
});

test('bad filters are refused with the reason, naming the parameter', () => {
  assert.throws(() => parseFilters(new URLSearchParams('flow=teleport')), (e: unknown) => e instanceof BadRequest && /^flow\.0: Invalid option/.test(e.message));
  assert.throws(() => parseFilters(new URLSearchParams('at=yesterday')), (e: unknown) => e instanceof BadRequest && /^at: expected an ISO-8601 time/.test(e.message));
  assert.throws(() => parseFilters(new URLSearchParams('limit=0')), (e: unknown) => e instanceof BadRequest && /^limit: /.test(e.message));
  assert.throws(() => parseFilters(new URLSearchParams("plant=P01' OR 1=1")), (e: unknown) => e instanceof BadRequest && /^plant\.0: expected a plant code/.test(e.message));
  assert.throws(() => parseFilters(new URLSearchParams('from=2026-11-03T00:00:00Z&to=2026-11-02T00:00:00Z')), (e: unknown) => e instanceof BadRequest && /^from: must be before to/.test(e.message));
  assert.throws(() => parseFilters(new URLSearchParams('cursor=!!')), (e: unknown) => e instanceof BadRequest && /^cursor: /.test(e.message));
});

test('the spans of a transaction: the traces its events name and those linked to it by correlation id, up to `at`, within the viewer\'s plants', async () => {
  const { store: own } = await openTestStore();
  try {
    const [tA, tB, tC, tD] = ['0a', '0b', '0c', '0d'].map((b) => b.repeat(16));
    const event = (id: string, trace: string, reported: string) =>
      JSON.stringify({ event_id: id, correlation_id: 'TX-A', trace_id: trace, flow: 'goods_receipt', plant: 'P01', source_system: 'MES', target_system: 'ERP', status: id === 'a2' ? 'posted' : 'pending', attempt: 1, occurred_at: '2026-11-03 10:00:00.000', reported_at: reported, source: 'test', source_position: id });
    await insertRows(own, 'postings', null, [event('a1', tA, '2026-11-03 10:01:00.000'), event('a2', tB, '2026-11-03 10:05:00.000')].join('\n') + '\n', 'spans-test-postings');
    const span = (id: string, trace: string, at: string, correlation: string, plant = 'P01') =>
      JSON.stringify({ timestamp: at, trace_id: trace, span_id: id.padStart(16, '0'), parent_span_id: '', span_name: `op-${id}`, span_kind: 'Server', service_name: 'mes-p01', duration_ns: 1_000_000, status_code: 'Ok', correlation_id: correlation, plant, flow: 'goods_receipt' });
    await insertRows(own, 'spans', null, [
      span('1', tA, '2026-11-03 10:00:00.500000000', ''), // named by a1
      span('2', tB, '2026-11-03 10:04:00.000000000', ''), // named by a2
      span('3', tC, '2026-11-03 10:02:00.000000000', 'TX-A'), // linked only by its correlation id
      span('4', tD, '2026-11-03 10:03:00.000000000', 'TX-OTHER'), // another transaction's
      span('5', tC, '2026-11-03 13:00:00.000000000', 'TX-A'), // after `at`
      span('6', tA, '2026-11-01 09:00:00.000000000', ''), // more than a day before the business event
      span('7', tA, '2026-11-03 10:00:01.000000000', '', ''), // the same trace in a system that names no plant
      span('8', tA, '2026-11-03 10:00:02.000000000', '', 'P02'), // the same trace at another plant
    ].join('\n') + '\n', 'spans-test-spans');
    const tx = await getTransaction(own, 'TX-A', filters(), ALL_PLANTS);
    assert.deepEqual(tx!.spans.map((s) => [s.span_id, s.trace_id, s.start]), [
      ['0000000000000001', tA, '2026-11-03T10:00:00.500Z'],
      ['0000000000000007', tA, '2026-11-03T10:00:01.000Z'],
      ['0000000000000008', tA, '2026-11-03T10:00:02.000Z'],
      ['0000000000000003', tC, '2026-11-03T10:02:00.000Z'],
      ['0000000000000002', tB, '2026-11-03T10:04:00.000Z'],
    ]);
    // a viewer limited to P01 sees the trace without P02's span
    const scoped = await getTransaction(own, 'TX-A', filters(), { plants: ['P01'] });
    assert.deepEqual(scoped!.spans.map((s) => s.span_id), ['0000000000000001', '0000000000000007', '0000000000000003', '0000000000000002']);
    // before a2 was reported, its trace is not named yet; the linked one already is
    const early = await getTransaction(own, 'TX-A', filters('at=2026-11-03T10:03:00Z'), ALL_PLANTS);
    assert.deepEqual(early!.spans.map((s) => s.span_id), ['0000000000000001', '0000000000000007', '0000000000000008', '0000000000000003']);
  } finally {
    await own.close();
  }
});

test('a live list\'s later pages continue it as of its first page\'s instant, through the cursor, without pinning the view; a pinned one keeps its `at`', async () => {
  const { resolveView, pageLinks } = await import('../components/view');
  const { cursorFor } = await import('../queries/filters');
  const live = resolveView({ range: '7d', plant: 'P01', limit: '2' });
  assert.ok(live.ok);
  // the next cursor, as the list's query module returns it: offset 2 at the instant of page 1
  const links = pageLinks(live, cursorFor(2, live.filters.at));
  const next = new URLSearchParams(links.next!.slice(1));
  assert.deepEqual([next.get('range'), next.get('plant'), next.get('limit'), next.get('at')], ['7d', 'P01', '2', null]);
  assert.equal(links.prev, null);
  // page 2: the same instant and range, and no `at` (so its transaction links stay live) ...
  const second = resolveView(Object.fromEntries(next));
  assert.ok(second.ok);
  assert.equal(second.filters.at.toISOString(), live.filters.at.toISOString());
  assert.equal(second.filters.from.toISOString(), live.filters.from.toISOString());
  assert.equal(second.filters.offset, 2);
  // ... but not live: its numbers are those of that instant, not of now
  assert.equal(second.live, false);
  // back to page 1: offset 0 at the same instant
  const back = new URLSearchParams(pageLinks(second, null).prev!.slice(1));
  assert.equal(back.get('at'), null);
  assert.equal(Buffer.from(back.get('cursor')!, 'base64url').toString(), `o:0:a:${live.filters.at.getTime()}`);
  const first = resolveView(Object.fromEntries(back));
  assert.ok(first.ok);
  assert.deepEqual([first.filters.offset, first.filters.at.toISOString()], [0, live.filters.at.toISOString()]);
  // a view pinned by `at` keeps it, and its first page needs no cursor
  const pinned = resolveView({ at: AT, limit: '2', cursor: cursorFor(2, new Date(AT)) });
  assert.ok(pinned.ok);
  const pinnedBack = new URLSearchParams(pageLinks(pinned, null).prev!.slice(1));
  assert.deepEqual([pinnedBack.get('at'), pinnedBack.get('cursor')], [AT, null]);
});

test('a percentile opens the posted transactions slowest first at the page that holds its own transaction, as of the view\'s instant', async () => {
  const { resolveView } = await import('../components/view');
  const view = resolveView({ at: AT, range: '7d', flow: 'shipment' });
  assert.ok(view.ok);
  // 10,000 posted: p50 is the 5,000th slowest (on the page from offset 4,900), p99 the 100th (page 1)
  const p50 = new URLSearchParams(view.slowest({ plant: 'P02' }, 0.5, 10_000).split('?')[1]);
  assert.deepEqual(
    [p50.get('plant'), p50.get('flow'), p50.get('range'), p50.get('at'), p50.get('status'), p50.get('sort')],
    ['P02', 'shipment', '7d', AT, 'posted', 'latency'],
  );
  assert.equal(Buffer.from(p50.get('cursor')!, 'base64url').toString(), `o:4900:a:${Date.parse(AT)}`);
  assert.equal(new URLSearchParams(view.slowest({}, 0.99, 10_000).split('?')[1]).get('cursor'), null);
  // and the list there starts with it: P02's 2 shipments (T8 25 min, T7 20 min), p50 the 1st slowest, on page 1
  const p50Day = resolveView({ at: AT, plant: 'P02', flow: 'shipment' });
  assert.ok(p50Day.ok);
  const opened = new URLSearchParams(p50Day.slowest({}, 0.5, 2).split('?')[1]);
  const list = await listTransactions(store, filters(`plant=P02&flow=shipment`), ALL_PLANTS, transactionListParams.parse({ status: opened.get('status'), sort: opened.get('sort') }));
  assert.deepEqual(list.items.map((t) => [t.correlation_id, t.latency_ms]), [['T8', 1_500_000], ['T7', 1_200_000]]);
});
