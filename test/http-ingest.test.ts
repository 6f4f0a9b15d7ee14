// HTTP ingest as an edge agent or an OpenTelemetry SDK uses it: NDJSON and JSON arrays with the ingest
// token, per-line reasons for what was rejected, 401 and 413 with nothing written, duplicates that
// change no count, and traces from the real @opentelemetry/sdk-node OTLP exporters (protobuf and JSON).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { startIngestRuntime, type IngestRuntime } from '../ingest/runtime';
import { execute, insertRows, param, queryRows, sql } from '../clickhouse/client';
import { testConfig, scalar } from './support/store';
import { posting } from './support/fixtures';
import { createIngestHandler, ERROR_TEXT_WITHHELD, HTTP_BODIES_IN_FLIGHT, withoutErrorTexts } from '../ingest/http';
import { IngestPipeline } from '../ingest/pipeline';
import { postingToRow } from '../lib/contract';
import protobuf from 'protobufjs';

// google.rpc.Status read from the .proto file itself, not from the descriptor ingest/otlp.ts encodes with
const rpcStatus = protobuf.loadSync('ingest/proto/google/rpc/status.proto').lookupType('google.rpc.Status');

let runtime: IngestRuntime;
let server: http.Server;
let base: string;
const contentTypes: string[] = [];
const TOKEN = 'test-ingest-token';

before(async () => {
  const config = testConfig({ CLICKHOUSE_DATABASE: 'http_ingest', PLANTLINE_MAX_BODY_BYTES: String(64 * 1024), PLANTLINE_FLUSH_MS: '20' });
  runtime = await startIngestRuntime(config);
  server = http.createServer((req, res) => {
    if (req.url === '/v1/traces') contentTypes.push(String(req.headers['content-type']));
    void runtime.handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.close();
  await runtime.stop();
});

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson', ...headers } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const count = (q: string) => scalar(runtime.readStore, q);

test('NDJSON: good lines are stored, each bad line is answered with its number and a reason naming the field', async () => {
  const lines = [
    JSON.stringify(posting({ event_id: 'h-1', correlation_id: 'TX-H1' })),
    JSON.stringify(posting({ event_id: 'h-2', correlation_id: 'TX-H2', flow: 'teleport' })),
    '{"event_id": "h-3", ',
    JSON.stringify(posting({ event_id: 'h-4', correlation_id: 'TX-H4', status: 'failed', error: { code: 'E1', category: 'master_data', message: 'Material M-9 missing', recoverable: false } })),
  ];
  const res = await post('/api/ingest/postings', lines.join('\n'));
  assert.equal(res.status, 200);
  assert.equal(res.body.accepted, 2);
  const rejected = res.body.rejected as { line: number; reason: string }[];
  assert.deepEqual(rejected.map((r) => r.line), [2, 3]);
  assert.equal(rejected[0].reason, 'field flow: expected one of order_release, production_confirmation, material_issue, goods_receipt, scrap, inventory_transfer, quality_hold, shipment; got "teleport"');
  assert.match(rejected[1].reason, /^invalid JSON/);
  assert.equal(await count(`SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'h-%'`), 2);
  // the rejects table keeps the raw line, where it came from and why
  const rows = await queryRows<{ line: number; reason: string; raw: string; source: string }>(
    runtime.readStore,
    'test',
    sql`SELECT line, reason, raw, source FROM rejects WHERE stream = 'postings' AND source_position LIKE ${param('pos', 'String', `http:${res.body.request_id}:%`)} ORDER BY line`,
  );
  assert.deepEqual(rows.map((r) => [r.line, r.source]), [[2, 'http'], [3, 'http']]);
  assert.equal(rows[1].raw, '{"event_id": "h-3", ');
});

test('the same body sent again (a retry) has the same request id: its bad lines stay one reject each, in the table and in health', async () => {
  const body = [JSON.stringify(posting({ event_id: 'again-1', correlation_id: 'TX-AGAIN-1' })), '{"event_id": "again-2", '].join('\n');
  const rejectsCounted = async () => ((await runtime.health()).body.rejects as Record<string, number>).postings ?? 0;
  const before = await rejectsCounted();
  const first = await post('/api/ingest/postings', body);
  const second = await post('/api/ingest/postings', body);
  assert.deepEqual([first.status, second.status], [200, 200]);
  assert.match(String(first.body.request_id), /^[0-9a-f]{32}$/);
  assert.equal(second.body.request_id, first.body.request_id);
  assert.deepEqual(second.body.rejected, first.body.rejected);
  assert.equal(await rejectsCounted(), before + 1);
  assert.equal(await count(`SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'again-%'`), 1);
  // another body is another request
  const other = await post('/api/ingest/postings', `${body}\n`);
  assert.notEqual(other.body.request_id, first.body.request_id);
  assert.equal(await rejectsCounted(), before + 2);
  // each delivery is its own insert: with the first copy deleted from the store, the same body sent again
  // is stored (the store does not drop it as a repeat of an insert it still remembers)
  await execute(runtime.readStore, 'test', sql`ALTER TABLE postings DELETE WHERE startsWith(event_id, 'again-') SETTINGS mutations_sync = 2`);
  assert.equal(await count(`SELECT count() FROM postings WHERE event_id LIKE 'again-%'`), 0);
  assert.equal((await post('/api/ingest/postings', body)).body.accepted, 1);
  assert.equal(await count(`SELECT count() FROM postings WHERE event_id LIKE 'again-%'`), 1);
});

test('a JSON array body is accepted element by element', async () => {
  const body = JSON.stringify([posting({ event_id: 'arr-1' }), posting({ event_id: 'arr-2', attempt: -1 })]);
  const res = await post('/api/ingest/postings', body, { 'content-type': 'application/json' });
  assert.equal(res.status, 200);
  assert.equal(res.body.accepted, 1);
  assert.deepEqual((res.body.rejected as { line: number }[]).map((r) => r.line), [2]);
});

test('a duplicate delivery over HTTP changes no count', async () => {
  const lines = [posting({ event_id: 'dup-1', correlation_id: 'TX-D1' }), posting({ event_id: 'dup-2', correlation_id: 'TX-D1', attempt: 2 })]
    .map((p) => JSON.stringify(p))
    .join('\n');
  for (let i = 0; i < 3; i++) assert.equal((await post('/api/ingest/postings', lines)).body.accepted, 2);
  assert.equal(await count(`SELECT uniqExact(event_id) FROM postings WHERE correlation_id = 'TX-D1'`), 2);
  // the canonical read (one row per event_id) sees two events, whatever merges have or have not run
  assert.equal(await count(`SELECT count() FROM (SELECT event_id FROM postings WHERE correlation_id = 'TX-D1' ORDER BY ingested_at LIMIT 1 BY event_id)`), 2);
});

test('inventory snapshots are ingested with the same rules', async () => {
  const snap = { snapshot_id: 'inv-1', plant: 'P01', system: 'MES', storage_location: '0001', material: 'M-100', lot: 'L1', quantity: 40.5, uom: 'KG', as_of: '2026-11-03T14:00:00Z' };
  const res = await post('/api/ingest/inventory', [JSON.stringify(snap), JSON.stringify({ ...snap, snapshot_id: 'inv-2', system: 'SAP' })].join('\n'));
  assert.equal(res.body.accepted, 1);
  assert.match((res.body.rejected as { reason: string }[])[0].reason, /^field system/);
  assert.equal(await count(`SELECT sum(quantity) FROM inventory_snapshots WHERE snapshot_id = 'inv-1'`), 40.5);
});

test('401 without the ingest token or with a wrong one, and nothing is written', async () => {
  const before = await count(`SELECT count() FROM postings`);
  const none = await fetch(base + '/api/ingest/postings', { method: 'POST', body: JSON.stringify(posting({ event_id: 'unauth' })) });
  assert.equal(none.status, 401);
  const wrong = await post('/api/ingest/postings', JSON.stringify(posting({ event_id: 'unauth' })), { authorization: 'Bearer nope' });
  assert.equal(wrong.status, 401);
  assert.match(String(wrong.body.error), /ingest token/);
  assert.equal(await count(`SELECT count() FROM postings`), before);
});

test('413 for a body over the limit, with nothing half-written', async () => {
  const before = await count(`SELECT count() FROM postings`);
  const lines: string[] = [];
  for (let i = 0; lines.join('\n').length < 70 * 1024; i++) lines.push(JSON.stringify(posting({ event_id: `big-${i}` })));
  const res = await post('/api/ingest/postings', lines.join('\n'));
  assert.equal(res.status, 413);
  assert.match(String(res.body.error), /over the 65536-byte limit/);
  await runtime.pipeline.flush();
  assert.equal(await count(`SELECT count() FROM postings`), before);
});

test('OTLP/HTTP from the real sdk-node exporters, protobuf and JSON, lands in spans with the business keys', async () => {
  const sdk = new NodeSDK({
    autoDetectResources: false,
    resource: resourceFromAttributes({ 'service.name': 'mes-p03', 'mfg.plant': 'P03' }),
    spanProcessors: [
      new SimpleSpanProcessor({ exporter: new ProtoExporter({ url: `${base}/v1/traces` }) }),
      new SimpleSpanProcessor({ exporter: new JsonExporter({ url: `${base}/v1/traces` }) }),
    ],
  });
  sdk.start();
  const tracer = trace.getTracer('plantline-test');
  const t0 = new Date('2026-11-03T14:05:00.250Z');
  const parent = tracer.startSpan('erp.post_goods_receipt', {
    kind: SpanKind.SERVER,
    startTime: t0,
    attributes: { 'mfg.correlation_id': 'TX-OTEL-1', 'mfg.flow': 'goods_receipt', 'mfg.order_no': '4711' },
  });
  parent.setStatus({ code: SpanStatusCode.ERROR, message: 'period closed' });
  parent.end(new Date(t0.getTime() + 1500));
  const orphan = tracer.startSpan('mes.heartbeat', { startTime: t0 });
  orphan.end(new Date(t0.getTime() + 2));
  await sdk.shutdown();

  // both encodings were used
  assert.ok(contentTypes.some((c) => c.startsWith('application/x-protobuf')), `content types seen: ${contentTypes}`);
  assert.ok(contentTypes.some((c) => c.startsWith('application/json')), `content types seen: ${contentTypes}`);
  await runtime.pipeline.flush();
  const spans = await queryRows<Record<string, string>>(
    runtime.readStore,
    'test',
    sql`SELECT span_name, service_name, span_kind, status_code, status_message, toString(timestamp) AS ts, toString(duration_ns) AS duration_ns,
               correlation_id, plant, flow, order_no
        FROM spans WHERE service_name = 'mes-p03' ORDER BY span_name LIMIT 1 BY trace_id, span_id`,
  );
  assert.deepEqual(spans, [
    {
      span_name: 'erp.post_goods_receipt', service_name: 'mes-p03', span_kind: 'Server', status_code: 'Error', status_message: 'period closed',
      ts: '2026-11-03 14:05:00.250000000', duration_ns: '1500000000', correlation_id: 'TX-OTEL-1', plant: 'P03', flow: 'goods_receipt', order_no: '4711',
    },
    {
      span_name: 'mes.heartbeat', service_name: 'mes-p03', span_kind: 'Internal', status_code: 'Unset', status_message: '',
      ts: '2026-11-03 14:05:00.250000000', duration_ns: '2000000', correlation_id: '', plant: 'P03', flow: '', order_no: '',
    },
  ]);
  // each span arrived twice (once per encoding) and is one span in the store
  assert.equal(await count(`SELECT uniqExact(trace_id, span_id) FROM spans WHERE service_name = 'mes-p03'`), 2);
  // a transaction's traces are found through the narrow lookup table
  assert.equal(await count(`SELECT count() FROM span_transactions WHERE correlation_id = 'TX-OTEL-1'`) >= 1, true);
});

test('an OTLP body that is not OTLP is rejected with a reason and kept', async () => {
  const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
  const res = await fetch(`${base}/v1/traces`, { method: 'POST', body: garbage, headers: { 'content-type': 'application/x-protobuf' } });
  assert.equal(res.status, 400);
  // OTLP/HTTP's rule: a 4xx or 5xx carries a google.rpc.Status in the request's encoding
  assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
  const status = rpcStatus.toObject(rpcStatus.decode(new Uint8Array(await res.arrayBuffer())));
  assert.equal(status.code, 3); // INVALID_ARGUMENT
  assert.match(status.message, /^OTLP protobuf request could not be decoded: /);
  await runtime.pipeline.flush();
  assert.equal(await count(`SELECT count() FROM rejects WHERE stream = 'spans' AND raw_bytes = 8`), 1);
  const badJson = await fetch(`${base}/v1/traces`, { method: 'POST', body: '{"resourceSpans": [', headers: { 'content-type': 'application/json' } });
  assert.equal(badJson.status, 400);
  assert.equal(badJson.headers.get('content-type'), 'application/json');
  const jsonStatus = (await badJson.json()) as { code: number; message: string };
  assert.deepEqual(Object.keys(jsonStatus).sort(), ['code', 'message']);
  assert.equal(jsonStatus.code, 3);
  assert.match(jsonStatus.message, /^OTLP json request could not be decoded: OTLP\/JSON: invalid JSON: /);
  const wrongToken = await fetch(`${base}/v1/traces`, { method: 'POST', body: new Uint8Array(0), headers: { 'content-type': 'application/x-protobuf', authorization: 'Bearer nope' } });
  assert.equal(wrongToken.status, 401);
  assert.deepEqual(rpcStatus.toObject(rpcStatus.decode(new Uint8Array(await wrongToken.arrayBuffer()))), {
    code: 16, // UNAUTHENTICATED
    message: 'missing or wrong ingest token: send Authorization: Bearer <PLANTLINE_INGEST_TOKEN>',
  });
  // without an OTLP content type the encoding is unknown: plain JSON
  const wrongType = await fetch(`${base}/v1/traces`, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } });
  assert.equal(wrongType.status, 415);
  assert.match(((await wrongType.json()) as { error: string }).error, /^content-type text\/plain is not OTLP\/HTTP/);
});

/**
 * An ingest listener over a pipeline of its own whose store is held (an insert that does not return: the
 * store is slow or down) until `release`; then it inserts into the test's store.
 */
async function heldStoreListener(ingest: { batchRows: number; maxBufferedRows: number }, http_: { maxBodyBytes: number; busyWaitMs: number }) {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const pipeline = new IngestPipeline(
    async (table, columns, chunks, token) => {
      await held;
      await insertRows(runtime.writeStore, table, columns, chunks, token);
    },
    { ingest: { ...ingest, flushIntervalMs: 5 } },
    () => undefined,
  );
  const handler = createIngestHandler({ pipeline, ingestToken: TOKEN, ...http_, otlpRequiresToken: false, health: async () => ({ ok: true, body: {} }) });
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const row = (id: string, tag: string) => postingToRow(posting({ event_id: id }) as never, { source: 'http', position: `${tag}/${id}` });
  return { pipeline, url, release, row, close: () => server.close() };
}

test('while the writers are full, a sender waits, then gets 503 with Retry-After and nothing of its request is kept; its retry is stored', async () => {
  const { pipeline, url, release, row, close } = await heldStoreListener({ batchRows: 2, maxBufferedRows: 2 }, { maxBodyBytes: 64 * 1024, busyWaitMs: 300 });
  try {
    const first = pipeline.submitPostings([row('busy-held-1', 'busy'), row('busy-held-2', 'busy')], 'busy');
    assert.equal(pipeline.saturated, true);
    const body = [posting({ event_id: 'busy-1' }), posting({ event_id: 'busy-2' })].map((p) => JSON.stringify(p)).join('\n');
    const send = () => fetch(`${url}/api/ingest/postings`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' } });
    const t0 = Date.now();
    const refused = await send();
    assert.equal(refused.status, 503);
    assert.ok(Date.now() - t0 >= 250, 'it waited for room first');
    assert.equal(refused.headers.get('connection'), 'close');
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.match(((await refused.json()) as { error: string }).error, /^ingest is behind .*nothing of this request was kept; send it again in 5 s$/);
    const traces = await fetch(`${url}/v1/traces`, { method: 'POST', body: new Uint8Array(0), headers: { 'content-type': 'application/x-protobuf' } });
    assert.equal(traces.status, 503);
    assert.equal(traces.headers.get('retry-after'), '5');
    assert.equal(rpcStatus.toObject(rpcStatus.decode(new Uint8Array(await traces.arrayBuffer()))).code, 14); // UNAVAILABLE
    // only the two held rows are buffered: nothing of the refused requests reached the writers
    assert.equal(pipeline.bufferedRows, 2);
    // a body declared over the limit is refused for its size at once, not made to wait
    const t1 = Date.now();
    const big = await fetch(`${url}/api/ingest/postings`, { method: 'POST', body: 'x'.repeat(70 * 1024), headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(big.status, 413);
    assert.ok(Date.now() - t1 < 250, 'no wait for room');
    // a sender that arrives while the store is behind and is still waiting when it catches up is taken
    const waiting = send();
    await new Promise((r) => setTimeout(r, 50));
    release();
    await first;
    const accepted = await waiting;
    assert.equal(accepted.status, 200);
    assert.equal(((await accepted.json()) as { accepted: number }).accepted, 2);
    await pipeline.flush();
    assert.equal(await count(`SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'busy-%'`), 4);
    assert.equal(await count(`SELECT count() FROM postings WHERE event_id IN ('busy-1', 'busy-2') AND source_position LIKE 'http:%'`), 2);
  } finally {
    close();
  }
});

/**
 * HTTP ingest in front of writers whose inserts into the tables `failing` names fail as if ClickHouse did
 * not answer (ECONNREFUSED), the others going to the test store. `close` lets the failing inserts through
 * first, so the writers can finish.
 */
async function flakyStoreListener(failing: (table: string) => boolean, busyWaitMs: number) {
  let healed = false;
  const pipeline = new IngestPipeline(
    async (table, columns, chunks, token) => {
      if (!healed && failing(table)) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
      await insertRows(runtime.writeStore, table, columns, chunks, token);
    },
    { ingest: { batchRows: 100, maxBufferedRows: 10_000, flushIntervalMs: 5 } },
    () => undefined,
  );
  const handler = createIngestHandler({ pipeline, ingestToken: TOKEN, maxBodyBytes: 64 * 1024, busyWaitMs, otlpRequiresToken: false, health: async () => ({ ok: true, body: {} }) });
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    healed = true;
    server.close();
    await pipeline.close();
  };
  return { pipeline, url, close };
}

test('a store that does not answer: a sender whose rows were handed over gets 503 after the grace, not held for the outage; later senders at once; when it answers every row is there, counted once', { timeout: 60_000 }, async () => {
  let down = true;
  const { pipeline, url: base, close } = await flakyStoreListener(() => down, 400);
  const url = `${base}/api/ingest/postings`;
  const body = (ids: string[]) => ids.map((id) => JSON.stringify(posting({ event_id: id }))).join('\n');
  const send = (ids: string[]) => fetch(url, { method: 'POST', body: body(ids), headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(5_000) });
  try {
    // handed over while the store seemed fine; its inserts then fail: answered after the grace (400 ms)
    const t0 = Date.now();
    const first = await send(['down-1', 'down-2']);
    const waited = Date.now() - t0;
    assert.equal(first.status, 503);
    assert.ok(waited >= 400 && waited < 3_000, `answered after ${waited} ms`);
    assert.equal(first.headers.get('retry-after'), '5');
    assert.equal(((await first.json()) as { error: string }).error, 'the store stopped answering while this request was being stored: it is not stored yet; send it again in 5 s (what arrives twice is counted once)');
    // while the inserts fail nothing more is taken in: the next sender is answered at once
    const t1 = Date.now();
    const next = await send(['down-3']);
    assert.equal(next.status, 503);
    assert.ok(Date.now() - t1 < 300, 'no wait');
    assert.equal(((await next.json()) as { error: string }).error, 'the store is not answering (inserts fail and are being retried): nothing of this request was kept; send it again in 5 s');
    assert.equal(pipeline.bufferedRows, 2, 'only the first request\'s rows wait in the writers');
    // the store answers again: the writers' next try stores the first request's rows (until then a
    // sender is still answered 503); both are sent again and stored, the first request's rows once
    down = false;
    while (pipeline.storeFailing()) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pipeline.bufferedRows, 0);
    assert.deepEqual([(await send(['down-1', 'down-2'])).status, (await send(['down-3'])).status], [200, 200]);
    await pipeline.flush();
    assert.deepEqual(
      await queryRows(runtime.readStore, 'test', sql`SELECT event_id FROM postings WHERE event_id LIKE 'down-%' GROUP BY event_id ORDER BY event_id`),
      [{ event_id: 'down-1' }, { event_id: 'down-2' }, { event_id: 'down-3' }],
    );
  } finally {
    await close();
  }
});

test('one table the store refuses to write does not hold the others: postings are taken in and answered while span inserts fail', { timeout: 60_000 }, async () => {
  const { pipeline, url, close } = await flakyStoreListener((table) => table === 'spans', 300);
  try {
    const start = BigInt(Date.now() - 60_000) * 1_000_000n;
    const spans = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ traceId: '6b8efff798038103d269b633813fc60c', spanId: '0000000000000101', name: 'held', kind: 2, startTimeUnixNano: String(start), endTimeUnixNano: String(start + 5_000_000n) }] }] }] };
    const traces = await fetch(`${url}/v1/traces`, { method: 'POST', body: JSON.stringify(spans), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5_000) });
    assert.equal(traces.status, 503);
    assert.equal(pipeline.storeFailing(['spans']), true);
    const posted = await fetch(`${url}/api/ingest/postings`, { method: 'POST', body: JSON.stringify(posting({ event_id: 'side-1' })), headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(5_000) });
    assert.equal(posted.status, 200);
    assert.equal(await count(`SELECT count() FROM postings WHERE event_id = 'side-1'`), 1);
  } finally {
    await close();
  }
});

test('many senders waiting for room: when it comes they are let in a few bodies at a time, so the writers stay near their bound', async () => {
  const { pipeline, url, release, row, close } = await heldStoreListener({ batchRows: 100, maxBufferedRows: 100 }, { maxBodyBytes: 1024 * 1024, busyWaitMs: 20_000 });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, pipeline.bufferedRows)), 1);
  try {
    const first = pipeline.submitPostings(Array.from({ length: 100 }, (_, i) => row(`herd-held-${i}`, 'herd')), 'herd');
    const body = (n: number) => Array.from({ length: 100 }, (_, i) => JSON.stringify(posting({ event_id: `herd-${n}-${i}` }))).join('\n');
    const answers = Array.from({ length: 20 }, (_, n) => fetch(`${url}/api/ingest/postings`, { method: 'POST', body: body(n), headers: { authorization: `Bearer ${TOKEN}` } }));
    await new Promise((r) => setTimeout(r, 200));
    // all 20 wait, none has been read
    assert.equal(pipeline.bufferedRows, 100);
    release();
    await first;
    const statuses = await Promise.all(answers.map(async (a) => (await a).status));
    assert.deepEqual(statuses, Array(20).fill(200));
    await pipeline.flush();
    assert.equal(await count(`SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'herd-%'`), 2_100);
    // the bound (100 rows) plus at most HTTP_BODIES_IN_FLIGHT (8) bodies of 100 rows let in at once
    assert.ok(peak <= 100 + HTTP_BODIES_IN_FLIGHT * 100, `peak ${peak} buffered rows`);
  } finally {
    clearInterval(sampler);
    close();
  }
});

test('OTLP partial success: the valid spans of a request are stored, the invalid one is answered and kept in rejects', async () => {
  const start = BigInt(Date.now() - 60_000) * 1_000_000n;
  const span = (spanId: string, name: string, startNs?: bigint) => ({
    traceId: '5b8efff798038103d269b633813fc60c', spanId, name, kind: 2,
    ...(startNs === undefined ? {} : { startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + 5_000_000n) }),
    attributes: [{ key: 'mfg.correlation_id', value: { stringValue: 'TX-PARTIAL' } }],
  });
  const body = JSON.stringify({
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'middleware' } }] }, scopeSpans: [{ scope: { name: 'route' }, spans: [span('eee19b7ec3c1b174', 'route a', start), span('eee19b7ec3c1b175', 'no start'), span('eee19b7ec3c1b176', 'route b', start + 1n)] }] }],
  });
  const res = await fetch(`${base}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 200);
  const reason = '1 of 3 spans rejected: resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano: missing (0)';
  assert.deepEqual(await res.json(), { partialSuccess: { rejectedSpans: '1', errorMessage: reason } });
  await runtime.pipeline.flush();
  assert.deepEqual(await queryRows(runtime.readStore, 'test', sql`SELECT span_name FROM spans WHERE correlation_id = 'TX-PARTIAL' ORDER BY span_name`), [{ span_name: 'route a' }, { span_name: 'route b' }]);
  assert.equal(await count(`SELECT count() FROM rejects WHERE stream = 'spans' AND reason = '${reason}'`), 1);
});

test('health reports the backend, the sources and reject counts', async () => {
  const res = await fetch(`${base}/api/health`);
  assert.equal(res.status, 200);
  const h = (await res.json()) as Record<string, any>;
  // test/server-http-ingest.test.ts runs this file on a ClickHouse server
  assert.equal(h.backend, process.env.PLANTLINE_TEST_CLICKHOUSE_URL ? 'server' : 'chdb');
  assert.equal(h.store.ok, true);
  assert.equal(h.ingest.sources.kafka.state, 'off');
  assert.equal(h.rejects.postings, 5); // lines 2 and 3 of the first test, line 2 of the two bodies of the retry test, element 2 of the array
  assert.equal(h.rejects.inventory, 1);
  // the same for the ingest token's holder
  const full = (await (await fetch(`${base}/api/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, any>;
  assert.deepEqual([full.status, full.rejects, full.ingest.accepted], [h.status, h.rejects, h.ingest.accepted]);
});

test('health shows error texts (which can quote refused data) only to the ingest token\'s holder', () => {
  const body = {
    status: 'degraded',
    store: { ok: true, error: null },
    ingest: { writers: [{ table: 'postings', lastError: 'Cannot parse input: … "order_no":"4500012345" …', insertedRows: 3 }], dead_letters: { unpublished: 1, lastError: 'too large' } },
  };
  assert.deepEqual(withoutErrorTexts(body), {
    status: 'degraded',
    store: { ok: true, error: null },
    ingest: { writers: [{ table: 'postings', lastError: ERROR_TEXT_WITHHELD, insertedRows: 3 }], dead_letters: { unpublished: 1, lastError: ERROR_TEXT_WITHHELD } },
  });
});
