// The store layer on the real engine: chDB through @clickhouse/client's connection hook, migrations,
// the cluster rendering of the DDL, typed parameters, and the writer's batching, retries and dedup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertRows, param, queryRows, raw, sql, statementText, withSettings } from '../clickhouse/client';
import { loadMigrations, migrate, renderOptions, renderStatements, migrationsTableDdl } from '../clickhouse/migrate';
import { TableWriter } from '../ingest/writer';
import { IngestPipeline } from '../ingest/pipeline';
import { postingToRow } from '../lib/contract';
import { decodeTraceRequest } from '../ingest/otlp';
import { posting } from './support/fixtures';
import { openTestStore, scalar } from './support/store';
import { listRejects } from '../queries/listRejects';
import { parseFilters } from '../queries/filters';

test('migrations apply once and a second run changes nothing', async () => {
  const { config, store } = await openTestStore();
  const again = await migrate(store, renderOptions(config));
  assert.deepEqual(again.applied, []);
  assert.deepEqual(again.alreadyApplied, [
    '001_postings', '002_inventory_snapshots', '003_spans', '004_rejects', '005_exception_actions', '006_sla_policies',
    '007_uom_conversions', '008_identity', '009_kpi_rollups',
    '010_transaction_keys', '011_inventory_rollup', '012_exceptions_rollup', '013_inventory_in_kpi_rollup',
    '014_sla_rollup',
  ]);
  const tables = await queryRows<{ name: string }>(
    store,
    'test',
    sql`SELECT name FROM system.tables WHERE database = ${param('db', 'String', config.database)} ORDER BY name`,
  );
  assert.deepEqual(
    tables.map((t) => t.name),
    [
      'api_token_uses', 'api_tokens', 'audit_log', 'exception_actions', 'exceptions_hourly', 'inventory_hourly', 'inventory_snapshots', 'kpi_changes',
      'kpi_changes_actions_mv', 'kpi_changes_postings_mv', 'kpi_hourly', 'postings', 'rejects', 'schema_migrations', 'sla_hourly', 'sla_policies', 'span_transactions', 'span_transactions_mv', 'spans', 'transaction_keys', 'transaction_keys_mv', 'uom_conversions', 'users',
    ],
  );
  await store.close();
});

test('with a cluster name every statement is ON CLUSTER and every MergeTree is replicated', () => {
  const opts = { database: 'plantline', cluster: 'plants', postingsTtlDays: 400, spansTtlDays: 30, rejectsTtlDays: 90 };
  const statements = loadMigrations().flatMap((m) => renderStatements(m.text, opts));
  assert.equal(statements.length, 28);
  for (const s of statements) {
    // DDL runs on every node; the backfill INSERTs (009, 010) write through replication instead
    if (s.startsWith('INSERT')) {
      assert.doesNotMatch(s, /ON CLUSTER/);
      continue;
    }
    assert.match(s, /^(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE|TRUNCATE TABLE IF EXISTS) plantline\.\w+ ON CLUSTER 'plants'/);
    if (s.startsWith('CREATE TABLE')) {
      assert.match(s, /ENGINE = Replicated(Replacing|Aggregating)?MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'(, (changed_at|built_at))?\)/);
      assert.doesNotMatch(s, /non_replicated_deduplication_window/);
    }
  }
  assert.match(migrationsTableDdl(opts), /schema_migrations ON CLUSTER 'plants'[\s\S]*ReplicatedReplacingMergeTree/);
  // a version column goes inside the replicated engine's arguments
  assert.ok(statements.some((s) => s.includes(`ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', changed_at)`)));
  // migration 013: the inventory arrays join kpi_hourly on every node
  assert.ok(statements.some((s) => /^ALTER TABLE plantline\.kpi_hourly ON CLUSTER 'plants'\s+ADD COLUMN IF NOT EXISTS inventory_keys Array\(LowCardinality\(String\)\)/.test(s)));
  // migration 014: the SLA rollup, replicated and replaced by its newest build
  assert.ok(statements.some((s) => /^CREATE TABLE IF NOT EXISTS plantline\.sla_hourly ON CLUSTER 'plants'[\s\S]*ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}', built_at\)[\s\S]*TTL hour \+ INTERVAL 400 DAY/.test(s)));
  // and without one, plain engines and no ON CLUSTER
  const single = loadMigrations().flatMap((m) => renderStatements(m.text, { ...opts, cluster: undefined }));
  for (const s of single) assert.doesNotMatch(s, /ON CLUSTER|Replicated/);
});

test('values reach SQL only as typed parameters', async () => {
  const { store } = await openTestStore();
  const hostile = "P01' OR 1=1 --";
  const q = sql`SELECT ${param('plant', 'String', hostile)} AS plant, ${param('n', 'UInt32', 7)} + 1 AS n`;
  assert.equal(q.query, 'SELECT {plant:String} AS plant, {n:UInt32} + 1 AS n');
  assert.deepEqual(await queryRows(store, 'test', q), [{ plant: hostile, n: 8 }]);
  // a bare value cannot be interpolated
  assert.throws(() => (sql as unknown as (s: TemplateStringsArray, ...v: unknown[]) => unknown)`SELECT ${'x' as unknown}`, /never a bare value/);
  assert.equal(sql`SELECT 1 FROM ${raw('postings')}`.query, 'SELECT 1 FROM postings');
  // one name is one value, in nested fragments too; the same value bound twice is fine
  assert.throws(() => sql`SELECT ${sql`${param('n', 'UInt8', 1)}`} + ${param('n', 'UInt8', 2)}`, /parameter n bound twice/);
  assert.deepEqual(sql`SELECT ${sql`${param('ks', 'Array(UInt8)', [1, 2])}`}, ${param('ks', 'Array(UInt8)', [1, 2])}`.params, { ks: [1, 2] });
  // settings a fragment needs follow it into every statement that includes it, reach the engine as that
  // statement's own SETTINGS clause (added to one it already has), and do not outlive it
  const fragment = withSettings(sql`toString(getSetting('short_circuit_function_evaluation'))`, { short_circuit_function_evaluation: 'force_enable' });
  const outer = sql`SELECT ${sql`${fragment} AS sc`}, getSetting('max_threads') AS t SETTINGS max_threads = 1`;
  assert.deepEqual(outer.settings, { short_circuit_function_evaluation: 'force_enable' });
  assert.equal(statementText(outer), "SELECT toString(getSetting('short_circuit_function_evaluation')) AS sc, getSetting('max_threads') AS t SETTINGS max_threads = 1, short_circuit_function_evaluation = 'force_enable'");
  assert.deepEqual(await queryRows(store, 'test', outer), [{ sc: 'force_enable', t: 1 }]);
  assert.deepEqual(await queryRows(store, 'test', sql`SELECT ${fragment} AS sc`), [{ sc: 'force_enable' }]);
  assert.deepEqual(await queryRows(store, 'test', sql`SELECT toString(getSetting('short_circuit_function_evaluation')) AS sc`), [{ sc: 'enable' }]);
  assert.throws(() => sql`SELECT ${fragment}, ${withSettings(sql`1`, { short_circuit_function_evaluation: 'disable' })}`, /setting short_circuit_function_evaluation asked twice with different values/);
  await store.close();
});

test('an insert retried with the same deduplication token is stored once; another token is not confused with it', async () => {
  const { store } = await openTestStore();
  const row = (id: string) => JSON.stringify({ snapshot_id: id, plant: 'P01', system: 'ERP', storage_location: 'L1', material: 'M1', lot: '', quantity: 1, uom: 'EA', unit_cost: null, as_of: '2026-11-03 10:00:00.000', extra: '', source: 'http', source_position: id }) + '\n';
  await insertRows(store, 'inventory_snapshots', null, row('a'), 'tok-1');
  await insertRows(store, 'inventory_snapshots', null, row('a'), 'tok-1');
  await insertRows(store, 'inventory_snapshots', null, row('b'), 'tok-2');
  assert.equal(await scalar(store, 'SELECT count() FROM inventory_snapshots'), 2);
  await store.close();
});

test('the writer keeps a batch while the store fails and inserts it, once, when the store is back', async () => {
  const { store } = await openTestStore();
  let failuresLeft = 3;
  const tokens: string[] = [];
  const writer = new TableWriter(
    'rejects',
    async (table, columns, chunks, token) => {
      tokens.push(token);
      if (failuresLeft-- > 0) throw new Error('injected: store unavailable');
      await insertRows(store, table, columns, chunks, token);
    },
    { batchRows: 1000, flushIntervalMs: 20, backoffMs: 10, maxBackoffMs: 40 },
  );
  const line = (i: number) => JSON.stringify({ received_at: '2026-11-03 10:00:00.000', stream: 'postings', source: 'http', source_position: `p${i}`, line: i, reason: 'r', raw_base64: '', raw_bytes: 0 });
  await Promise.all([writer.add([line(1), line(2)], 'a'), writer.add([line(3)], 'b')]);
  assert.equal(await scalar(store, 'SELECT count() FROM rejects'), 3);
  // four attempts of one batch, all with the same token
  assert.equal(tokens.length, 4);
  assert.equal(new Set(tokens).size, 1);
  assert.equal(writer.snapshot().failedAttempts, 3);
  await store.close();
});

test('the writer flushes by size without waiting for the interval', async () => {
  const { store } = await openTestStore();
  const sizes: number[] = [];
  const writer = new TableWriter(
    'rejects',
    async (table, columns, chunks, token) => {
      sizes.push(chunks.join('').split('\n').length - 1);
      await insertRows(store, table, columns, chunks, token);
    },
    { batchRows: 4, minBatchRows: 4, flushIntervalMs: 60_000 },
  );
  const line = (i: number) => JSON.stringify({ received_at: '2026-11-03 10:00:00.000', stream: 'postings', source: 'http', source_position: `q${i}`, line: i, reason: 'r', raw_base64: '', raw_bytes: 0 });
  await Promise.all([writer.add([line(1), line(2)], 'a'), writer.add([line(3), line(4)], 'b')]);
  assert.deepEqual(sizes, [4]);
  await store.close();
});

test('a free connection takes a worthwhile batch at once; rows that arrive while it is busy go in one larger batch', async () => {
  const { store } = await openTestStore();
  const sizes: number[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const writer = new TableWriter(
    'rejects',
    async (table, columns, chunks, token) => {
      sizes.push(chunks.join('').split('\n').length - 1);
      if (sizes.length === 1) await held;
      await insertRows(store, table, columns, chunks, token);
    },
    { batchRows: 8, minBatchRows: 2, flushIntervalMs: 60_000 },
  );
  const line = (i: number) => JSON.stringify({ received_at: '2026-11-03 10:00:00.000', stream: 'postings', source: 'http', source_position: `w${i}`, line: i, reason: 'r', raw_base64: '', raw_bytes: 0 });
  const a = writer.add([line(1), line(2)], 'a'); // 2 rows, the connection is free: inserted at once
  while (sizes.length === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(sizes, [2]);
  const rest = [writer.add([line(3), line(4), line(5)], 'b'), writer.add([line(6), line(7), line(8)], 'c'), writer.add([line(9)], 'd')];
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sizes, [2], 'nothing more while the only connection is busy');
  release();
  await Promise.all([a, ...rest]);
  assert.deepEqual(sizes, [2, 7], 'the 7 rows that gathered meanwhile went in one batch');
  // a single row is below the worthwhile size: it waits for the interval (or a flush)
  const e = writer.add([line(10)], 'e');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sizes, [2, 7]);
  await writer.flush();
  await e;
  assert.deepEqual(sizes, [2, 7, 1]);
  assert.equal(await scalar(store, 'SELECT count() FROM rejects'), 10);
  await store.close();
});

test('a row the store refuses as data is split out and handed over; the rest is stored', async () => {
  const { store } = await openTestStore();
  const poison: string[] = [];
  const writer = new TableWriter('rejects', store, {
    batchRows: 100,
    flushIntervalMs: 10,
    onPoisonRow: async (l, reason) => {
      poison.push(`${l} :: ${reason.slice(0, 40)}`);
    },
  });
  // a reason over two lines: rows are split on the newlines between them, never on one inside a value
  const good = (i: number) => JSON.stringify({ received_at: '2026-11-03 10:00:00.000', stream: 'postings', source: 'http', source_position: `s${i}`, line: i, reason: 'first line\nsecond line', raw_base64: '', raw_bytes: 0 });
  const bad = JSON.stringify({ received_at: 'not a time', stream: 'postings', source: 'http', source_position: 'bad', line: 1, reason: 'r', raw_base64: '', raw_bytes: 0 });
  await Promise.all([writer.add([good(1), good(2), bad], 'x'), writer.add([good(3)], 'y')]);
  assert.equal(await scalar(store, 'SELECT count() FROM rejects'), 3);
  assert.equal(await scalar(store, "SELECT countIf(reason = 'first line\nsecond line') FROM rejects"), 3);
  assert.equal(poison.length, 1);
  assert.match(poison[0], /"source_position":"bad"/);
  await store.close();
});

test('a row the store cannot parse at all (half a surrogate pair) goes to rejects under its own source position and the rest is stored; a reject quoting one is kept', async () => {
  const { store } = await openTestStore();
  const pipeline = new IngestPipeline(store, { ingest: { batchRows: 100, flushIntervalMs: 5, maxBufferedRows: 10_000 } }, () => undefined);
  // spans of an hour ago (older ones would fall to the spans table's TTL)
  const start = BigInt(Date.now() - 3600_000) * 1_000_000n;
  const span = (name: string, spanId: string) => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId, name, kind: 2, startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1_000_000_000n) });
  const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'erp' } }] }, scopeSpans: [{ scope: { name: 's' }, spans: [span('post goods receipt', 'b7ad6b7169203331'), span('half of a pair', 'b7ad6b7169203332')] }] }] });
  const rows = decodeTraceRequest(Buffer.from(body), 'json');
  // the decoders refuse such text (OTLP/JSON by its schema, postings and snapshots by the contract); a
  // row that still carries it is written as the escape \ud800, which the store refuses
  // (CANNOT_PARSE_ESCAPE_SEQUENCE): the writer used to retry that batch for ever, holding the stream
  rows[1].span_name = 'half \ud800 a pair';
  // from Kafka: the fetch's offsets as the submission, its topic and partition as the origin; the same
  // span delivered again in another fetch (after a crash) is the same reject
  await pipeline.submitSpans(rows, 'otlp_spans/0/10-19', 'otlp_spans/0');
  await pipeline.submitSpans([rows[1]], 'otlp_spans/0/10-42', 'otlp_spans/0');
  // a posting: its reject names its own source position (here a Kafka message), not the batch's
  const refused = postingToRow(posting({ event_id: 'refused-1' }) as never, { source: 'kafka', position: 'plantline.postings.v1/2/17' });
  refused.material = 'half \ud800 a pair';
  await pipeline.submitPostings([postingToRow(posting({ event_id: 'kept-1' }) as never, { source: 'kafka', position: 'plantline.postings.v1/2/16' }), refused], 'plantline.postings.v1/2/16-17');
  // a parser's message quoting the first half of an emoji (the DLQ and rejects keep the reason)
  await pipeline.reject([{ stream: 'postings', source: 'http', position: 'req-1', line: 1, reason: 'invalid JSON: Unexpected token \ud83d', raw: Buffer.from('\u{1F600} not json') }]);
  await pipeline.close();
  assert.deepEqual(await queryRows(store, 'test', sql`SELECT span_name FROM spans`), [{ span_name: 'post goods receipt' }]);
  assert.deepEqual(await queryRows(store, 'test', sql`SELECT event_id FROM postings`), [{ event_id: 'kept-1' }]);
  const rejects = await queryRows<{ stream: string; source: string; source_position: string; reason: string }>(
    store,
    'test',
    // one row per reject, as health and the ingest summary count them (the table collapses repeats on merge)
    sql`SELECT stream, source, source_position, any(reason) AS reason FROM rejects GROUP BY stream, source, source_position ORDER BY stream, source`,
  );
  assert.equal(rejects.length, 3, JSON.stringify(rejects));
  assert.deepEqual(rejects[0], { stream: 'postings', source: 'http', source_position: 'req-1', reason: 'invalid JSON: Unexpected token \ufffd' });
  assert.deepEqual([rejects[1].stream, rejects[1].source, rejects[1].source_position], ['postings', 'store', 'plantline.postings.v1/2/17']);
  assert.deepEqual([rejects[2].stream, rejects[2].source, rejects[2].source_position], ['spans', 'store', 'otlp_spans/0 span 0af7651916cd43dd8448eb211c80319c/b7ad6b7169203332']);
  for (const r of rejects.slice(1)) assert.match(r.reason, /^store refused the row: .*escape sequence/i);
  // and OTLP/JSON itself names the field
  assert.throws(() => decodeTraceRequest(Buffer.from(body.replace('half of a pair', 'half \\ud800 a pair')), 'json'), /spans\[1\]\.name: unpaired high surrogate/);
  await store.close();
});

test('rejected messages are listed newest first, once each however often delivered, with their reason, position and bytes', async () => {
  const { store } = await openTestStore();
  const pipeline = new IngestPipeline(store, { ingest: { batchRows: 100, flushIntervalMs: 5, maxBufferedRows: 10_000 } }, () => undefined);
  const flowReason = 'field flow: expected one of order_release, production_confirmation; got "teleport"';
  const bad = { stream: 'postings' as const, source: 'http' as const, position: 'http:abc:2', line: 2, reason: flowReason, raw: Buffer.from('{"flow":"teleport"}') };
  await pipeline.reject([
    bad,
    { stream: 'postings', source: 'kafka', position: 'plantline.postings.v1/1/7', line: 0, reason: 'invalid UTF-8 at byte 1', raw: Buffer.from([0x66, 0xff, 0x67]) },
    { stream: 'spans', source: 'kafka', position: 'otlp_spans/0/5', line: 0, reason: 'empty message', raw: Buffer.alloc(0) },
  ]);
  // the sender's retry: the same reject again, later
  await pipeline.reject([bad]);
  await pipeline.close();
  const at = new Date(Date.now() + 60_000).toISOString();
  const f = (q = '') => parseFilters(new URLSearchParams(`range=1h&at=${at}${q}`));
  const all = await listRejects(store, f(), {}, { bytes: true });
  assert.equal(all.next_cursor, null);
  // the retried one is the newest; the others, received together, by stream, source and position
  assert.deepEqual(
    all.items.map((r) => [r.stream, r.source, r.source_position, r.line, r.reason, r.raw_preview, r.raw_bytes, r.truncated, r.raw_base64]),
    [
      ['postings', 'http', 'http:abc:2', 2, flowReason, '{"flow":"teleport"}', 19, false, 'eyJmbG93IjoidGVsZXBvcnQifQ=='],
      ['postings', 'kafka', 'plantline.postings.v1/1/7', 0, 'invalid UTF-8 at byte 1', 'f\ufffdg', 3, false, 'Zv9n'],
      ['spans', 'kafka', 'otlp_spans/0/5', 0, 'empty message', '', 0, false, ''],
    ],
  );
  assert.deepEqual((await listRejects(store, f(), { stream: 'spans' })).items.map((r) => r.source_position), ['otlp_spans/0/5']);
  assert.deepEqual((await listRejects(store, f(), { reason: 'FIELD FLOW' })).items.map((r) => r.source_position), ['http:abc:2']);
  assert.deepEqual((await listRejects(store, f(), { source: 'store' })).items, []);
  // a page of 2, then the last one
  const first = await listRejects(store, f('&limit=2'), {});
  assert.equal(first.items.length, 2);
  const second = await listRejects(store, f(`&limit=2&cursor=${first.next_cursor}`), {});
  assert.deepEqual([second.items.map((r) => r.source_position), second.next_cursor], [['otlp_spans/0/5'], null]);
  // the page's query leaves the bytes out; a long message is marked truncated after 300 bytes (here 200
  // two-byte characters: 400 bytes, 150 of them shown)
  assert.equal(first.items[0].raw_base64, undefined);
  const more = new IngestPipeline(store, { ingest: { batchRows: 100, flushIntervalMs: 5, maxBufferedRows: 10_000 } }, () => undefined);
  await more.reject([{ stream: 'inventory', source: 'file', position: 'file:counts.ndjson:1', line: 1, reason: 'invalid JSON', raw: Buffer.from('é'.repeat(200)) }]);
  await more.close();
  const [long] = (await listRejects(store, f(), { stream: 'inventory' })).items;
  assert.deepEqual([long.raw_bytes, long.truncated, long.raw_preview], [400, true, 'é'.repeat(150)]);
  // before they were received: nothing
  assert.deepEqual((await listRejects(store, parseFilters(new URLSearchParams('range=1h&at=2026-01-01T00:00:00Z')), {})).items, []);
  await store.close();
});

test('with two connections, a second batch inserts while the first is still in flight', async () => {
  const { store } = await openTestStore();
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const used: string[] = [];
  const slow = async (table: string, columns: readonly string[] | null, chunks: string[], token: string) => {
    used.push('slow');
    await firstHeld;
    await insertRows(store, table, columns, chunks, token);
  };
  const fast = async (table: string, columns: readonly string[] | null, chunks: string[], token: string) => {
    used.push('fast');
    await insertRows(store, table, columns, chunks, token);
  };
  const writer = new TableWriter('rejects', [slow, fast], { batchRows: 2, flushIntervalMs: 5 });
  const line = (i: number) => JSON.stringify({ received_at: '2026-11-03 10:00:00.000', stream: 'postings', source: 'http', source_position: `c${i}`, line: i, reason: 'r', raw_base64: '', raw_bytes: 0 });
  const first = writer.add([line(1), line(2)], 'a');
  const second = writer.add([line(3), line(4)], 'b');
  // one batch is held on the slow connection; the other is stored meanwhile on the other one
  await Promise.race([first, second]);
  assert.equal(await scalar(store, 'SELECT count() FROM rejects'), 2);
  assert.deepEqual(used.sort(), ['fast', 'slow']);
  releaseFirst();
  await Promise.all([first, second]);
  assert.equal(await scalar(store, 'SELECT count() FROM rejects'), 4);
  await store.close();
});

test('back-pressure counts what rows weigh too: two postings with 30 KB payloads fill a 50,000-byte bound that 1,000 rows would not', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const pipeline = new IngestPipeline(
    async () => {
      await held;
    },
    { ingest: { batchRows: 100, flushIntervalMs: 5, maxBufferedRows: 1000, maxBufferedBytes: 50_000 } },
    () => undefined,
  );
  const row = (i: number) => postingToRow(posting({ event_id: `heavy-${i}`, payload: { text: 'x'.repeat(30_000) } }) as never, { source: 'http', position: `heavy/${i}` });
  const first = pipeline.submitPostings([row(1)], 'heavy-1');
  // the row's text: the 30,000-character payload and the rest of the posting (a few hundred characters)
  assert.ok(pipeline.bufferedBytes > 30_000 && pipeline.bufferedBytes < 31_000, `buffered ${pipeline.bufferedBytes}`);
  assert.equal(pipeline.saturated, false);
  const second = pipeline.submitPostings([row(2)], 'heavy-2');
  assert.equal(pipeline.bufferedRows, 2);
  assert.equal(pipeline.saturated, true);
  // what HTTP ingest waits on before it answers 503
  assert.equal(await pipeline.waitForCapacity(50), false);
  assert.equal(pipeline.stats().bufferedBytes, pipeline.bufferedBytes);
  release();
  await Promise.all([first, second]);
  assert.equal(pipeline.bufferedBytes, 0);
  assert.equal(pipeline.saturated, false);
  assert.equal(await pipeline.waitForCapacity(50), true);
});

test('heavy rows are inserted by weight: a quarter of the byte bound is a batch at once, without waiting for the timer, and no batch grows heavier', async () => {
  let release!: () => void;
  let held = new Promise<void>((r) => (release = r));
  const inserts: number[] = [];
  const pipeline = new IngestPipeline(
    async (table, _columns, chunks) => {
      if (table !== 'postings') return;
      inserts.push(chunks.length);
      await held;
    },
    // a row bound and a timer that never come into it: 1,000 rows, a minute
    { ingest: { batchRows: 1000, flushIntervalMs: 60_000, maxBufferedRows: 1000, maxBufferedBytes: 100_000 } },
    () => undefined,
  );
  const row = (i: number) => postingToRow(posting({ event_id: `weight-${i}`, payload: { text: 'x'.repeat(30_000) } }) as never, { source: 'http', position: `weight/${i}` });
  // 30 KB is over a quarter of 100,000: its insert starts at once
  const first = pipeline.submitPostings([row(1)], 'weight-1');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(inserts, [1]);
  // three more while it is held: queued, then inserted one submission a batch (two would weigh over 25,000)
  const rest = [2, 3, 4].map((i) => pipeline.submitPostings([row(i)], `weight-${i}`));
  const writer = () => pipeline.stats().writers.find((w) => w.table === 'postings')!;
  assert.deepEqual([writer().bufferedRows, writer().inFlightRows], [3, 1]);
  assert.ok(writer().bufferedBytes > 3 * 30_000 && writer().inFlightBytes > 30_000 && writer().inFlightBytes < 31_000, JSON.stringify(writer()));
  held = Promise.resolve();
  release();
  await Promise.all([first, ...rest]);
  assert.deepEqual(inserts, [1, 1, 1, 1]);
  assert.equal(writer().insertedBatches, 4);
});

test('back-pressure: a caller waiting for capacity is woken as soon as a stored batch brings the writers under their bound', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const pipeline = new IngestPipeline(
    async () => {
      await held;
    },
    { ingest: { batchRows: 4, flushIntervalMs: 5, maxBufferedRows: 4 } },
    () => undefined,
  );
  const row = (i: number) => postingToRow(posting({ event_id: `cap-${i}` }) as never, { source: 'http', position: `cap/${i}` });
  const stored = pipeline.submitPostings([row(1), row(2), row(3), row(4)], 'cap');
  assert.equal(pipeline.saturated, true);
  let woken = false;
  const waiting = pipeline.waitForCapacity().then(() => (woken = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(woken, false, 'still full while the insert is held');
  release();
  await stored;
  await waiting;
  assert.equal(woken, true);
  assert.equal(pipeline.saturated, false);
});
