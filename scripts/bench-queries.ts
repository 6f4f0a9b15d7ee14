// `npm run bench:queries [-- --postings 10000000 --spans 30000000 --runs 20 --write]`
// Fills an embedded store with N postings and M spans (8 plants, 90 days, generated inside the
// engine), then times every /api/v1 read endpoint through its route handler, as a browser or script
// calls it: p50/p95 over `runs` runs, cold (first call) and warm, for the default range (the 24 hours
// before `at`) and for 7 days, after the KPI rollups are built; the overview from rollups against the
// same from raw rows (24 h, 7 d, 90 d); then the endpoints again while HTTP ingest runs flat out in
// the same process with the rollup builder on its default schedule.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { openStore, type Store } from '../clickhouse/client';
import { migrate, migrateServer, renderOptions } from '../clickhouse/migrate';
import { registerReadStore } from '../clickhouse/shared';
import { createToken } from '../lib/auth/directory';
import { IngestPipeline } from '../ingest/pipeline';
import { createIngestHandler } from '../ingest/http';
import { RollupBuilder, buildStaleRollups } from '../ingest/rollups';
import { getOverview } from '../queries/getOverview';
import { ALL_PLANTS, parseFilters } from '../queries/filters';

const { values: args } = parseArgs({
  options: {
    postings: { type: 'string', default: '10000000' },
    spans: { type: 'string', default: '30000000' },
    runs: { type: 'string', default: '20' },
    write: { type: 'boolean', default: false },
    // keep the filled store in this folder and reuse it on the next run (for working on one query)
    data: { type: 'string' },
    // only the endpoints whose name contains this, and no ingest phase
    only: { type: 'string' },
    // only the phase under ingest (with --data, for working on it; not with --write)
    'ingest-only': { type: 'boolean', default: false },
    // server mode: the same endpoints against this ClickHouse server (CLICKHOUSE_URL) instead of an
    // embedded store (filled when its database is empty); --write puts them in their own section
    'clickhouse-url': { type: 'string' },
  },
});
const POSTINGS = Number(args.postings);
const SPANS = Number(args.spans);
const RUNS = Number(args.runs);
const END = new Date('2026-11-20T00:00:00Z');
const DAYS = 90;
// a transaction of the last day, so it is inside the default range too
const LAST_TX = `TX-${Math.floor(POSTINGS / 2) - 7}`;
// two postings per transaction; its spans (the same trace id, at the same time) share the spans out
const TRANSACTIONS = Math.ceil(POSTINGS / 2);
const SPANS_PER_TX = Math.max(1, Math.round(SPANS / TRANSACTIONS));

async function fill(store: Store) {
  const start = `toDateTime64('${new Date(END.getTime() - DAYS * 86400_000).toISOString().replace('T', ' ').replace('Z', '')}', 3, 'UTC')`;
  const span = DAYS * 86400;
  // two events per transaction: the first attempt's pending, then posted (88%), failed (8%) or still
  // pending (4%); every 16th failed transaction is replayed (attempt 2, posted)
  await store.client.command({
    query: `INSERT INTO postings (event_id, correlation_id, trace_id, flow, plant, source_system, target_system, status, attempt, replay_of,
              occurred_at, reported_at, order_no, material, lot, storage_location, document_no, quantity, uom, stock_delta, unit_cost,
              error_code, error_category, error_message, error_recoverable, source, source_position)
            SELECT
              concat('ev-', toString(number)) AS event_id,
              concat('TX-', toString(tx)) AS correlation_id,
              lower(hex(MD5(toString(tx)))) AS trace_id,
              ['order_release','production_confirmation','material_issue','goods_receipt','scrap','inventory_transfer','quality_hold','shipment'][tx % 8 + 1] AS flow,
              concat('P0', toString(intDiv(tx, 8) % 8 + 1)) AS plant,
              'MES', 'ERP',
              multiIf(number % 2 = 0, 'pending', r < 88, 'posted', r < 96, 'failed', 'pending') AS status,
              1, '',
              ${start} + toIntervalSecond(intDiv(tx * ${span}, ${Math.ceil(POSTINGS / 2)})) AS occurred_at,
              occurred_at + toIntervalMillisecond(if(number % 2 = 0, 500, 2000 + (tx * 7919) % 1800000)) AS reported_at,
              toString(4500000 + tx % 900000), concat('M-', toString(tx % 5000)), concat('L', toString(tx % 20000)), '0001',
              if(status = 'posted', toString(5000000000 + tx), ''),
              toDecimal64(1 + tx % 40, 6), 'EA', toDecimal64(1 + tx % 40, 6), toDecimal64(12.5, 6),
              if(status = 'failed', 'M7-021', ''), if(status = 'failed', ['period_closed','master_data','lock_conflict','timeout'][tx % 4 + 1], ''),
              if(status = 'failed', 'simulated failure', ''), if(status = 'failed', true, NULL), 'bench', ''
            FROM (SELECT number, intDiv(number, 2) AS tx, (intDiv(number, 2) * 2654435761) % 100 AS r FROM numbers(${POSTINGS}))
            SETTINGS max_insert_threads = 2, insert_deduplicate = 0`,
    clickhouse_settings: { wait_end_of_query: 1 },
  });
  await store.client.command({
    query: `INSERT INTO spans (timestamp, trace_id, span_id, parent_span_id, span_name, span_kind, service_name, duration_ns, status_code, correlation_id, plant, flow)
            SELECT
              ${start.replace("3, 'UTC'", "9, 'UTC'")} + toIntervalMillisecond(intDiv(tx * ${span * 1000}, ${TRANSACTIONS}) + (number % ${SPANS_PER_TX}) * 40),
              lower(hex(MD5(toString(tx)))), lower(substring(hex(MD5(toString(number))), 1, 16)),
              if(number % ${SPANS_PER_TX} = 0, '', lower(substring(hex(MD5(toString(number - number % ${SPANS_PER_TX}))), 1, 16))),
              ['erp.release','middleware.route','mes.post'][number % 3 + 1], ['Server','Internal','Client'][number % 3 + 1],
              ['erp','middleware',concat('mes-p0', toString(intDiv(tx, 8) % 8 + 1))][number % 3 + 1],
              1000000 + (number * 7919) % 900000000, if(number % 25 = 0, 'Error', 'Ok'),
              concat('TX-', toString(tx)), concat('P0', toString(intDiv(tx, 8) % 8 + 1)),
              ['order_release','production_confirmation','material_issue','goods_receipt','scrap','inventory_transfer','quality_hold','shipment'][tx % 8 + 1]
            FROM (SELECT number, intDiv(number, ${SPANS_PER_TX}) AS tx FROM numbers(${SPANS}))
            SETTINGS max_insert_threads = 2, insert_deduplicate = 0`,
  });
}

// inventory snapshots: every inventory key the postings use (8 plants × 20,000 lots = 40,000 keys) has an MES
// and an ERP balance at 23:00 on each of the last 7 days; every 10th key's MES balance is 1–7 EA above the ERP's
const SNAPSHOT_KEYS = 40_000;
const SNAPSHOT_DAYS = 7;

async function fillSnapshots(store: Store) {
  const end = `toDateTime64('${END.toISOString().replace('T', ' ').replace('Z', '')}', 3, 'UTC')`;
  await store.client.command({
    query: `INSERT INTO inventory_snapshots (snapshot_id, plant, system, storage_location, material, lot, quantity, uom, unit_cost, as_of, source, source_position)
            SELECT concat('snap-', system, '-', toString(k), '-', toString(d)), concat('P0', toString(intDiv(k, 8) % 8 + 1)), system, '0001',
                   concat('M-', toString(k % 5000)), concat('L', toString(k % 20000)),
                   toDecimal64(200 + (k * 13 + d * 7) % 800 + if(system = 'MES' AND k % 10 = 0, k % 7 + 1, 0), 6), 'EA',
                   if(system = 'ERP', toDecimal64(12.5, 6), NULL),
                   ${end} - toIntervalDay(${SNAPSHOT_DAYS} - d) + toIntervalHour(23), 'bench', ''
            FROM (SELECT number AS k FROM numbers(${SNAPSHOT_KEYS}))
            ARRAY JOIN range(${SNAPSHOT_DAYS}) AS d
            ARRAY JOIN ['MES', 'ERP'] AS system
            SETTINGS insert_deduplicate = 0`,
    clickhouse_settings: { wait_end_of_query: 1 },
  });
}

type Endpoint = { name: string; path: string; handler: (r: Request) => Promise<Response>; kind: 'kpi' | 'list' | 'transaction' };

async function endpoints(): Promise<Endpoint[]> {
  const load = async (p: string) => (await import(p)) as { GET: (r: Request, c?: unknown) => Promise<Response> };
  const tx = await load('../app/api/v1/transactions/[correlation_id]/route');
  return [
    { name: 'overview', path: '/api/v1/overview', handler: (await load('../app/api/v1/overview/route')).GET, kind: 'kpi' },
    { name: 'flows', path: '/api/v1/flows', handler: (await load('../app/api/v1/flows/route')).GET, kind: 'kpi' },
    { name: 'latency', path: '/api/v1/latency', handler: (await load('../app/api/v1/latency/route')).GET, kind: 'kpi' },
    { name: 'exceptions', path: '/api/v1/exceptions', handler: (await load('../app/api/v1/exceptions/route')).GET, kind: 'list' },
    { name: 'exceptions/aging', path: '/api/v1/exceptions/aging', handler: (await load('../app/api/v1/exceptions/aging/route')).GET, kind: 'list' },
    { name: 'order-releases/failed', path: '/api/v1/order-releases/failed', handler: (await load('../app/api/v1/order-releases/failed/route')).GET, kind: 'list' },
    { name: 'sla/breaches', path: '/api/v1/sla/breaches', handler: (await load('../app/api/v1/sla/breaches/route')).GET, kind: 'list' },
    { name: 'sla/summary', path: '/api/v1/sla/summary', handler: (await load('../app/api/v1/sla/summary/route')).GET, kind: 'kpi' },
    // the rows behind a ratio (posting success's denominator) and behind a percentile (slowest first)
    { name: 'transactions (posted, failed)', path: '/api/v1/transactions?status=posted,failed', handler: (await load('../app/api/v1/transactions/route')).GET, kind: 'list' },
    { name: 'transactions (slowest first)', path: '/api/v1/transactions?status=posted&sort=latency', handler: (await load('../app/api/v1/transactions/route')).GET, kind: 'list' },
    { name: 'inventory/variance', path: '/api/v1/inventory/variance', handler: (await load('../app/api/v1/inventory/variance/route')).GET, kind: 'list' },
    { name: 'search (order no)', path: '/api/v1/search?q=4512345', handler: (await load('../app/api/v1/search/route')).GET, kind: 'list' },
    {
      name: 'transactions/{id}',
      path: `/api/v1/transactions/${LAST_TX}`,
      handler: (r: Request) => tx.GET(r, { params: Promise.resolve({ correlation_id: LAST_TX }) }),
      kind: 'transaction',
    },
  ];
}

/** Nearest-rank percentile: the smallest run that at least q of the runs do not exceed (p95 of 20 runs is the 19th). */
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)];
};

async function time(e: Endpoint, token: string, query: string): Promise<{ cold: number; p50: number; p95: number; n: number }> {
  const url = `http://bench.local${e.path}${e.path.includes('?') ? '&' : '?'}${query}`;
  const once = async () => {
    const t0 = performance.now();
    const res = await e.handler(new Request(url, { headers: { authorization: `Bearer ${token}` } }));
    await res.text();
    if (res.status !== 200) throw new Error(`${e.name}: HTTP ${res.status}`);
    return performance.now() - t0;
  };
  const cold = await once();
  const runs: number[] = [];
  // `runs` runs, but no more than ~30 s for an endpoint that is far off its target (at least 3 runs)
  const started = performance.now();
  for (let i = 0; i < RUNS && (i < 3 || performance.now() - started < 30_000); i++) runs.push(await once());
  return { cold, p50: pct(runs, 0.5), p95: pct(runs, 0.95), n: runs.length };
}

async function main() {
  const serverUrl = args['clickhouse-url'];
  const dataDir = serverUrl ? serverUrl : args.data ? path.resolve(args.data) : fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-qbench-'));
  const config = loadConfig(serverUrl ? { CLICKHOUSE_URL: serverUrl, PLANTLINE_INGEST_TOKEN: 'bench' } : { PLANTLINE_DATA_DIR: dataDir, PLANTLINE_INGEST_TOKEN: 'bench' });
  if (serverUrl) await migrateServer(config);
  const store = await openStore(config, 'write');
  if (!serverUrl) await migrate(store, renderOptions(config));
  const read = await openStore(config, 'read');
  const keepData = Boolean(args.data || serverUrl);
  const serverVersion = serverUrl ? `ClickHouse ${(await (await read.client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0].v}` : '';
  registerReadStore(read);
  const t0 = performance.now();
  // the generated rows (source 'bench'); a reused store also holds what an earlier run's ingest phase
  // posted (source 'http', all at END, outside every range timed here)
  const existing = Number((await (await store.client.query({ query: "SELECT count() AS n FROM postings WHERE source = 'bench'", format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n ?? 0);
  if (existing === POSTINGS) console.log(`reusing the ${POSTINGS.toLocaleString('en-US')} postings in ${dataDir}`);
  else {
  if (existing > 0 && !args['ingest-only']) throw new Error(`${dataDir} holds ${existing} postings, not ${POSTINGS}`);
  console.log(`filling ${POSTINGS.toLocaleString('en-US')} postings and ${SPANS.toLocaleString('en-US')} spans (${DAYS} days, 8 plants)…`);
  await fill(store);
  console.log(`filled in ${Math.round((performance.now() - t0) / 1000)} s`);
  }
  // stores generated before the benchmark had snapshots get them here
  const snapshots = Number((await (await store.client.query({ query: 'SELECT count() AS n FROM inventory_snapshots', format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n ?? 0);
  if (snapshots === 0) {
    await fillSnapshots(store);
    console.log(`added ${(SNAPSHOT_KEYS * SNAPSHOT_DAYS * 2).toLocaleString('en-US')} inventory snapshots`);
  }
  const t1 = performance.now();
  // the fill is over and nothing else writes: no need to wait for counters to settle
  const built = await buildStaleRollups(store, Infinity, 0);
  const buildSeconds = Math.round((performance.now() - t1) / 100) / 10;
  console.log(`built ${built.built.toLocaleString('en-US')} rollup rows (plant × flow × hour) in ${buildSeconds} s`);
  const token = (await createToken(store, { name: 'bench', role: 'admin', plants: [] }, 'bench')).token;
  const at = `at=${END.toISOString()}`;
  const list = (await endpoints()).filter((e) => !args.only || e.name.includes(args.only));
  const rows: string[] = [];
  const results: Record<string, { cold: number; p50: number; p95: number; n: number }> = {};
  if (args['ingest-only'] && args.write) throw new Error('--ingest-only measures one phase: it cannot --write the report');
  for (const range of args['ingest-only'] ? [] : ['24h', '7d']) {
    const query = range === '24h' ? at : `${at}&from=${new Date(END.getTime() - 7 * 86400_000).toISOString()}`;
    for (const e of list) {
      const r = await time(e, token, query);
      results[`${e.name} ${range}`] = r;
      rows.push(`| ${e.name} | ${range} | ${Math.round(r.cold)} | ${Math.round(r.p50)} | ${Math.round(r.p95)} | ${r.n} |`);
      console.log(`${e.name.padEnd(24)} ${range}: cold ${Math.round(r.cold)} ms, p50 ${Math.round(r.p50)} ms, p95 ${Math.round(r.p95)} ms`);
    }
  }
  // the overview from rollups against the same from raw rows, through the query module
  const versus: string[] = [];
  for (const [range, days] of !args['ingest-only'] && (!args.only || args.only === 'overview') ? ([['24h', 1], ['7d', 7], ['90d', 90]] as const) : []) {
    const f = parseFilters(new URLSearchParams({ at: END.toISOString(), from: new Date(END.getTime() - days * 86400_000).toISOString() }));
    const timed = async (rollups: boolean) => {
      const e: Endpoint = { name: `overview ${range} ${rollups ? 'rollups' : 'raw'}`, path: '', kind: 'kpi', handler: async () => Response.json(await getOverview(store, f, ALL_PLANTS, { rollups })) };
      return time(e, token, '');
    };
    const [fromRollups, fromRaw] = [await timed(true), await timed(false)];
    const same = JSON.stringify(await getOverview(store, f, ALL_PLANTS)) === JSON.stringify(await getOverview(store, f, ALL_PLANTS, { rollups: false }));
    versus.push(`| ${range} | ${Math.round(fromRollups.p50)} | ${Math.round(fromRollups.p95)} | ${Math.round(fromRaw.p50)} | ${Math.round(fromRaw.p95)} | ${(fromRaw.p50 / fromRollups.p50).toFixed(1)}× | ${same ? 'yes' : 'NO'} |`);
    console.log(`overview ${range}: rollups p50 ${Math.round(fromRollups.p50)} ms, raw p50 ${Math.round(fromRaw.p50)} ms, same figures: ${same}`);
  }

  if (args.only && !args['ingest-only']) {
    await read.close();
    await store.close();
    if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    return;
  }
  // the same while HTTP ingest runs flat out in this process, the rollup builder on its default schedule
  const builder = new RollupBuilder(store, config.ingest.rollupIntervalMs);
  builder.start();
  const pipeline = new IngestPipeline(store, config);
  const handler = createIngestHandler({ pipeline, ingestToken: 'bench', maxBodyBytes: 8 << 20, busyWaitMs: 600_000, otlpRequiresToken: false, health: async () => ({ ok: true, body: {} }) });
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/ingest/postings`;
  let stop = false;
  let sent = 0;
  const body = (k: number) =>
    Array.from({ length: 5000 }, (_, i) =>
      JSON.stringify({ event_id: `live-${k}-${i}`, correlation_id: `LIVE-${k}-${i}`, flow: 'goods_receipt', plant: `P0${(i % 8) + 1}`, source_system: 'MES', target_system: 'ERP', status: 'posted', attempt: 1, occurred_at: END.toISOString(), reported_at: END.toISOString() }),
    ).join('\n');
  const agent = async (n: number) => {
    for (let k = n; !stop; k += 2) {
      const res = await fetch(url, { method: 'POST', body: body(k), headers: { authorization: 'Bearer bench' } });
      await res.arrayBuffer();
      sent += 5000;
    }
  };
  const ingestStart = performance.now();
  const agents = [agent(0), agent(1)];
  const underLoad: string[] = [];
  for (const e of list) {
    const r = await time(e, token, at);
    results[`${e.name} 24h under ingest`] = r;
    underLoad.push(`| ${e.name} | ${Math.round(r.p50)} | ${Math.round(r.p95)} | ${r.n} |`);
    console.log(`${e.name.padEnd(24)} during ingest: p50 ${Math.round(r.p50)} ms, p95 ${Math.round(r.p95)} ms`);
  }
  stop = true;
  await Promise.all(agents);
  await builder.stop();
  const ingestRate = Math.round((sent / (performance.now() - ingestStart)) * 1000);
  server.close();
  await pipeline.close();
  await read.close();
  await store.close();
  if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });

  const marker = serverUrl ? 'bench:queries:server' : 'bench:queries';
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const report = [
    `<!-- ${marker} -->`,
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:queries -- --postings ${POSTINGS} --spans ${SPANS} --runs ${RUNS}${serverUrl ? ' --clickhouse-url URL' : ''}\` on ${machine}: ${serverUrl ? `a ClickHouse server over HTTP on the same machine (${serverVersion})` : 'embedded chDB'}, ${POSTINGS.toLocaleString('en-US')} postings and ${SPANS.toLocaleString('en-US')} spans over ${DAYS} days and 8 plants, ${(SNAPSHOT_KEYS * SNAPSHOT_DAYS * 2).toLocaleString('en-US')} inventory snapshots (${SNAPSHOT_KEYS.toLocaleString('en-US')} keys × MES and ERP × ${SNAPSHOT_DAYS} days); every endpoint through its route handler (auth, parsing, query, JSON). ${built.built > 0 ? `KPI rollups (${built.built.toLocaleString('en-US')} plant × flow × hour rows) built from scratch in ${buildSeconds} s before timing.` : `KPI rollups already built in the reused store (\`--data\`).`}`,
    '',
    '| endpoint | range | cold ms | p50 ms | p95 ms | runs |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'The overview from rollups against the same from raw rows (`getOverview` with and without rollups, p50/p95 ms over the runs):',
    '',
    '| range | rollups p50 | rollups p95 | raw p50 | raw p95 | raw ÷ rollups (p50) | same figures |',
    '|---|---|---|---|---|---|---|',
    ...versus,
    '',
    `While HTTP ingest ran flat out in the same process (${ingestRate.toLocaleString('en-US')} postings/s) and the rollup builder ran every ${config.ingest.rollupIntervalMs / 1000} s (${builder.stats.cycles} passes, ${builder.stats.built.toLocaleString('en-US')} rows rebuilt), range 24h:`,
    '',
    '| endpoint | p50 ms | p95 ms | runs |',
    '|---|---|---|---|',
    ...underLoad,
    `<!-- /${marker} -->`,
  ].join('\n');
  console.log('\n' + report);
  if (args.write) {
    const file = path.join(process.cwd(), 'docs', 'performance.md');
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Performance\n';
    const section = new RegExp(`<!-- ${marker} -->[\\s\\S]*<!-- /${marker} -->`);
    const next = section.test(current) ? current.replace(section, report) : `${current.trimEnd()}\n\n${serverUrl ? '### Read API on a ClickHouse server' : '## Read API'}\n\n${report}\n`;
    fs.writeFileSync(file, next);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
