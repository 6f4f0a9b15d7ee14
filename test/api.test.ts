// The read API (CONTRACT §4) through its route handlers, on the hand-built day of views.test.ts:
// every endpoint answers its documented fields, bad parameters get 400 with the reason (never 500),
// and a CSV export carries exactly the rows of the JSON answer.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { registerReadStore } from '../clickhouse/shared';
import { openTestStore } from './support/store';
import { freePort } from './support/ports';
import { loadConfig } from '../lib/config';
import { openStore } from '../clickhouse/client';
import { createToken } from '../lib/auth/directory';
import type { Store } from '../clickhouse/client';
import { AT, loadViewsDataset } from './support/views-dataset';
import * as overview from '../app/api/v1/overview/route';
import * as failedReleases from '../app/api/v1/order-releases/failed/route';
import * as exceptions from '../app/api/v1/exceptions/route';
import * as aging from '../app/api/v1/exceptions/aging/route';
import * as breaches from '../app/api/v1/sla/breaches/route';
import * as latency from '../app/api/v1/latency/route';
import * as variance from '../app/api/v1/inventory/variance/route';
import * as transaction from '../app/api/v1/transactions/[correlation_id]/route';
import * as search from '../app/api/v1/search/route';
import * as flows from '../app/api/v1/flows/route';
import * as transactions from '../app/api/v1/transactions/route';
import * as slaSummary from '../app/api/v1/sla/summary/route';

let store: Store;
let token = '';

before(async () => {
  ({ store } = await openTestStore());
  registerReadStore(store);
  token = (await createToken(store, { name: 'api-test', role: 'admin', plants: [] }, 'test')).token;
  await loadViewsDataset(store, { config: true });
});

after(async () => {
  await store.close();
});

const call = async (handler: (r: Request) => Promise<Response>, path: string, query = '') => {
  const res = await handler(new Request(`http://plantline.test${path}?at=${AT}${query}`, { headers: { authorization: `Bearer ${token}` } }));
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : null };
};

test('every list endpoint answers {items, next_cursor} with the contract fields', async () => {
  const cases: [string, (r: Request) => Promise<Response>, string[], number][] = [
    ['/api/v1/order-releases/failed', failedReleases.GET, ['correlation_id', 'plant', 'order_no', 'material', 'error_code', 'error_category', 'error_message', 'attempts', 'first_failed_at', 'age_bucket'], 1],
    ['/api/v1/exceptions', exceptions.GET, ['correlation_id', 'flow', 'plant', 'order_no', 'error_category', 'recoverable', 'attempts', 'age_seconds', 'age_bucket', 'state', 'assignee'], 3],
    ['/api/v1/exceptions/aging', aging.GET, ['plant', 'bucket', 'count'], 3],
    ['/api/v1/sla/breaches', breaches.GET, ['correlation_id', 'flow', 'plant', 'threshold_minutes', 'latency_seconds', 'state'], 7],
    ['/api/v1/latency', latency.GET, ['plant', 'flow', 'count', 'p50_ms', 'p95_ms', 'p99_ms'], 2],
    ['/api/v1/inventory/variance', variance.GET, ['plant', 'storage_location', 'material', 'lot', 'uom', 'mes_qty', 'erp_qty', 'variance', 'value', 'explained_pending', 'explained_failed', 'explained_duplicate', 'residual', 'flags'], 5],
    ['/api/v1/flows', flows.GET, ['plant', 'flow', 'transactions', 'failed', 'pending', 'p95_ms'], 7],
  ];
  for (const [path, handler, fields, count] of cases) {
    const { status, body } = await call(handler, path);
    assert.equal(status, 200, path);
    assert.ok('next_cursor' in body, `${path}: next_cursor`);
    assert.equal(body.items.length, count, `${path}: ${count} items`);
    for (const field of fields) assert.ok(field in body.items[0], `${path}: field ${field}`);
  }
});

test('overview answers the KPI fields and by_plant', async () => {
  const { status, body } = await call(overview.GET, '/api/v1/overview');
  assert.equal(status, 200);
  assert.deepEqual(
    Object.keys(body).sort(),
    ['by_plant', 'failed', 'first_pass_yield', 'latency_p50_ms', 'latency_p95_ms', 'open_exceptions', 'open_sla_breaches', 'pending', 'posted', 'sla_compliance', 'transactions'].sort(),
  );
  assert.equal(body.transactions, 11);
  assert.deepEqual(body.by_plant.map((p: { plant: string }) => p.plant), ['P01', 'P02']);
});

test('a transaction by correlation id: events, spans, actions, status; 404 for an unknown one', async () => {
  const { status, body } = await transaction.GET(new Request(`http://plantline.test/api/v1/transactions/T12?at=${AT}`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({ correlation_id: 'T12' }) }).then(async (r) => ({ status: r.status, body: await r.json() }));
  assert.equal(status, 200);
  assert.equal(body.status, 'failed');
  assert.deepEqual(body.events.map((e: { event_id: string }) => e.event_id), ['e18']);
  assert.deepEqual(body.actions.map((a: { action: string }) => a.action), ['resolve']);
  assert.deepEqual(body.spans, []);
  const missing = await transaction.GET(new Request(`http://plantline.test/api/v1/transactions/NOPE?at=${AT}`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({ correlation_id: 'NOPE' }) });
  assert.equal(missing.status, 404);
});

test('search finds a transaction by order number', async () => {
  const { status, body } = await call(search.GET, '/api/v1/search', '&q=4713');
  assert.equal(status, 200);
  assert.deepEqual(body.items.map((i: { correlation_id: string }) => i.correlation_id), ['T9']);
});

test('bad parameters get 400 with the reason, never 500', async () => {
  const bad: [(r: Request) => Promise<Response>, string, string, RegExp][] = [
    [overview.GET, '/api/v1/overview', '&flow=teleport', /^flow\.0: Invalid option/],
    [overview.GET, '/api/v1/overview', '&from=garbage', /^from: expected an ISO-8601 time/],
    [exceptions.GET, '/api/v1/exceptions', '&aging=ancient', /^aging: expected one or more of <1h, 1-4h, 4-24h, 1-3d, >3d, comma-separated: "ancient" is not one of them$/],
    [transactions.GET, '/api/v1/transactions', '&status=posted,shipped', /^status: expected one or more of pending, posted, failed, comma-separated: "shipped" is not one of them$/],
    [transactions.GET, '/api/v1/transactions', '&sort=fastest', /^sort: Invalid option/],
    [exceptions.GET, '/api/v1/exceptions', '&category=gremlins', /^category: Invalid option/],
    [exceptions.GET, '/api/v1/exceptions', '&limit=100000', /^limit: /],
    [breaches.GET, '/api/v1/sla/breaches', '&state=sideways', /^state: Invalid option/],
    [variance.GET, '/api/v1/inventory/variance', '&as_of=soon', /^as_of: expected an ISO-8601 time/],
    [variance.GET, '/api/v1/inventory/variance', '&sort=biggest', /^sort: /],
    // a cursor no page returned (an offset of about 10^20)
    [variance.GET, '/api/v1/inventory/variance', `&cursor=${Buffer.from('o:99999999999999999999').toString('base64url')}`, /^cursor: expected a cursor returned by a previous page/],
    [search.GET, '/api/v1/search', '', /^q: /],
    [latency.GET, '/api/v1/latency', '&format=xml', /^format: expected json or csv/],
    [latency.GET, '/api/v1/latency', "&plant=P01'%20OR%20'1'='1", /^plant\.0: expected a plant code/],
  ];
  for (const [handler, path, query, reason] of bad) {
    const { status, body } = await call(handler, path, query);
    assert.equal(status, 400, `${path}${query}`);
    assert.match(body.problems[0], reason, `${path}${query}`);
  }
  // instants the store cannot hold (year 0: the default `from`, a day or 90 days before, was a negative
  // year the engine refused with a 500), dates the calendar lacks, a parameter given twice
  const asked: [(r: Request) => Promise<Response>, string, string][] = [
    [overview.GET, '/api/v1/overview', 'at=0000-01-01T00:00:00Z'],
    [search.GET, '/api/v1/search', 'q=4711&at=0000-03-01T00:00:00Z'],
    [flows.GET, '/api/v1/flows', 'at=0000-01-01T00:00:00Z'],
    [transactions.GET, '/api/v1/transactions', 'from=2026-02-30&to=2026-03-02'],
    [variance.GET, '/api/v1/inventory/variance', `at=${AT}&as_of=2026-11-03T10:00:00Z&as_of=garbage`],
    [exceptions.GET, '/api/v1/exceptions', `at=${AT}&limit=1&limit=5000`],
  ];
  const problems: string[] = [];
  for (const [handler, path, query] of asked) {
    const res = await handler(new Request(`http://plantline.test${path}?${query}`, { headers: { authorization: `Bearer ${token}` } }));
    assert.equal(res.status, 400, `${path}?${query}`);
    problems.push(((await res.json()) as { problems: string[] }).problems[0]);
  }
  assert.deepEqual(problems, [
    'at: expected a time from 1900-01-01 to 2299-12-31',
    'at: expected a time from 1900-01-01 to 2299-12-31',
    'at: expected a time from 1900-01-01 to 2299-12-31',
    'from: 2026-02-30 is not a time the calendar has',
    'as_of: given 2 times; give it once',
    'limit: given 2 times; give it once',
  ]);
});

test('a CSV export holds exactly the rows of the JSON answer', async () => {
  const asJson = await call(exceptions.GET, '/api/v1/exceptions', '&status=all');
  const asCsv = await call(exceptions.GET, '/api/v1/exceptions', '&status=all&format=csv');
  assert.equal(asCsv.status, 200);
  assert.match(asCsv.type, /^text\/csv/);
  const records = parse(asCsv.text, { columns: true }) as Record<string, string>[];
  assert.equal(records.length, asJson.body.items.length);
  records.forEach((r, i) => {
    const item = asJson.body.items[i];
    assert.equal(r.correlation_id, item.correlation_id);
    assert.equal(Number(r.age_seconds), item.age_seconds);
    assert.equal(r.state, item.state);
  });
  const varianceCsv = parse((await call(variance.GET, '/api/v1/inventory/variance', '&format=csv')).text, { columns: true }) as Record<string, string>[];
  assert.deepEqual(varianceCsv.map((r) => [r.material, r.residual, r.flags]), [
    ['M-100', '0', ''],
    ['M-400', '', 'no_conversion'],
    ['M-500', '', 'missing_mes'],
    ['M-200', '0', ''],
    ['M-300', '-2', 'unexplained'],
  ]);
  // JSON a page at a time with the totals over every key; the export keeps every key whatever the page size
  const page = await call(variance.GET, '/api/v1/inventory/variance', '&limit=2&sort=attention');
  assert.deepEqual(page.body.items.map((i: { material: string }) => i.material), ['M-300', 'M-400']);
  assert.deepEqual(page.body.totals, { keys: 5, flagged: 3, value: 1, value_abs: 29, unexplained_value: -14, unexplained_value_abs: 14 });
  const next = await call(variance.GET, '/api/v1/inventory/variance', `&limit=2&sort=attention&cursor=${page.body.next_cursor}`);
  assert.deepEqual(next.body.items.map((i: { material: string }) => i.material), ['M-500', 'M-100']);
  const everyKey = parse((await call(variance.GET, '/api/v1/inventory/variance', '&format=csv&limit=2&sort=attention')).text, { columns: true }) as Record<string, string>[];
  assert.deepEqual(everyKey.map((r) => r.material), ['M-300', 'M-400', 'M-500', 'M-100', 'M-200']);
});

test('a list\'s CSV export holds every row its filters select, however small the page', async () => {
  // the day's SLA breaches at AT, oldest first (views-dataset.ts): seven, two to a JSON page
  const order = ['T6', 'T3', 'T2', 'T12', 'T9', 'T8', 'T4'];
  const page = await call(breaches.GET, '/api/v1/sla/breaches', '&limit=2');
  assert.deepEqual(page.body.items.map((b: { correlation_id: string }) => b.correlation_id), ['T6', 'T3']);
  assert.notEqual(page.body.next_cursor, null);
  const ids = async (query: string) => (parse((await call(breaches.GET, '/api/v1/sla/breaches', query)).text, { columns: true }) as Record<string, string>[]).map((r) => r.correlation_id);
  // read two at a time to the end; a page's cursor does not cut the export
  assert.deepEqual(await ids('&limit=2&format=csv'), order);
  assert.deepEqual(await ids(`&limit=2&format=csv&cursor=${page.body.next_cursor}`), order);
  assert.deepEqual(await ids('&format=csv&state=closed&limit=1'), ['T2', 'T8']);
  // the transaction list likewise: the four failed ones, one a page
  const failedCsv = parse((await call(transactions.GET, '/api/v1/transactions', '&status=failed&format=csv&limit=1')).text, { columns: true }) as Record<string, string>[];
  assert.deepEqual(failedCsv.map((r) => r.correlation_id), ['T11', 'T12', 'T3', 'T6']);
});

test('the transaction list and the SLA summary answer, and export, the rows their pages show', async () => {
  const failed = await call(transactions.GET, '/api/v1/transactions', '&status=failed');
  assert.equal(failed.status, 200);
  // newest occurred_at first: T11 11:58, T12 10:30, T3 08:00, T6 the day before
  assert.deepEqual(failed.body.items.map((t: { correlation_id: string }) => t.correlation_id), ['T11', 'T12', 'T3', 'T6']);
  assert.equal(failed.body.total, 4);
  const failedCsv = parse((await call(transactions.GET, '/api/v1/transactions', '&status=failed&format=csv')).text, { columns: true }) as Record<string, string>[];
  assert.deepEqual(failedCsv.map((r) => [r.correlation_id, r.status, r.sla_state]), [['T11', 'failed', 'open'], ['T12', 'failed', 'open_breach'], ['T3', 'failed', 'open_breach'], ['T6', 'failed', 'open_breach']]);
  assert.equal((await call(transactions.GET, '/api/v1/transactions', '&sla=late')).status, 400);
  // a ratio's rows (the pages' links): posted slowest first, then the failed by occurred time; SLA compliance's 9 in the CSV
  const finished = await call(transactions.GET, '/api/v1/transactions', '&status=posted,failed&sort=latency');
  assert.deepEqual([finished.body.total, finished.body.items.map((t: { correlation_id: string }) => t.correlation_id)], [8, ['T2', 'T8', 'T7', 'T1', 'T11', 'T12', 'T3', 'T6']]);
  const counted = parse((await call(transactions.GET, '/api/v1/transactions', '&sla=met,closed_breach,open_breach&format=csv')).text, { columns: true }) as Record<string, string>[];
  assert.deepEqual(counted.map((r) => r.sla_state).sort(), ['closed_breach', 'closed_breach', 'met', 'met', 'open_breach', 'open_breach', 'open_breach', 'open_breach', 'open_breach']);

  // per plant × flow, worked out from the day's transactions (P02 shipment has a 20-minute override)
  const summary = await call(slaSummary.GET, '/api/v1/sla/summary');
  assert.equal(summary.status, 200);
  const row = (r: Record<string, unknown>) => [r.plant, r.flow, r.threshold_minutes, r.transactions, r.posted, r.met, r.closed_breaches, r.open_breaches, r.compliance];
  const expected = [
    ['P01', 'goods_receipt', 15, 3, 2, 1, 1, 1, 1 / 3],
    ['P01', 'material_issue', 15, 1, 0, 0, 0, 1, 0],
    ['P01', 'order_release', 5, 2, 0, 0, 0, 2, 0],
    ['P02', 'material_issue', 15, 1, 0, 0, 0, 0, null],
    ['P02', 'quality_hold', 5, 1, 0, 0, 0, 0, null],
    ['P02', 'scrap', 30, 1, 0, 0, 0, 1, 0],
    ['P02', 'shipment', 20, 2, 2, 1, 1, 0, 1 / 2],
  ];
  assert.deepEqual(summary.body.items.map(row), expected);
  const summaryCsv = parse((await call(slaSummary.GET, '/api/v1/sla/summary', '&format=csv')).text, { columns: true }) as Record<string, string>[];
  assert.deepEqual(
    summaryCsv.map((r) => row(r).map((v, i) => (i < 2 ? v : v === '' ? null : Number(v)))),
    expected,
  );
});

test('ClickHouse not answering (server mode, down or restarting): 503 with Retry-After saying so, not a failed query', async () => {
  const closedPort = await freePort();
  const down = await openStore(loadConfig({ CLICKHOUSE_URL: `http://127.0.0.1:${closedPort}`, PLANTLINE_INGEST_TOKEN: 'x' }), 'read');
  registerReadStore(down);
  try {
    for (const [path, handler] of [['/api/v1/overview', overview.GET], ['/api/v1/exceptions', exceptions.GET]] as const) {
      const res = await handler(new Request(`http://plantline.test${path}`, { headers: { authorization: `Bearer ${token}` } }));
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.deepEqual(await res.json(), { error: 'the store (ClickHouse) does not answer; try again in a moment' });
    }
  } finally {
    registerReadStore(store);
    await down.close();
  }
});
