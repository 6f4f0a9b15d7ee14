// `npm run bench:ingest [-- --n 300000 --write]`: ingest throughput on this machine, in one run:
//  (a) raw kafkajs consume rate of N postings (no decoding, no store),
//  (b) raw store insert rate of the same rows, pre-serialized, in the writer's batch size,
//  (c) end to end: Kafka -> decode/validate -> writer -> stored rows, offsets committed,
//  (d) HTTP ingest: NDJSON POSTs to /api/ingest/postings -> stored rows,
// and c / min(a, b), the share of the slower raw part that the pipeline keeps. With --write the
// figures replace the ingest section of docs/performance.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker } from '../test/support/kafka-broker';
import { loadConfig } from '../lib/config';
import { TOPICS, postingToRow, type PostingEvent } from '../lib/contract';
import { openStore, insertRows, param, queryRows, sql, type Store } from '../clickhouse/client';
import { migrate, renderOptions } from '../clickhouse/migrate';
import { ensureTopics, KafkaSource } from '../ingest/kafka';
import { COLUMNS, IngestPipeline } from '../ingest/pipeline';
import { createIngestHandler } from '../ingest/http';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '300000' }, write: { type: 'boolean', default: false }, profile: { type: 'string' }, only: { type: 'string' } } });
const N = Number(args.n);
// --only ac: run some of the measures (while trying a change); the report needs all four
const RUN = new Set((args.only ?? 'abcd').split(''));
const BATCH = Number(process.env.PLANTLINE_BATCH_ROWS ?? 20_000);
const WRITERS = Number(process.env.PLANTLINE_WRITE_CONNECTIONS ?? 1);
const FLOWS = ['order_release', 'production_confirmation', 'material_issue', 'goods_receipt', 'scrap', 'inventory_transfer', 'quality_hold', 'shipment'];

function makePosting(i: number) {
  const plant = `P0${(i % 8) + 1}`;
  const failed = i % 20 === 0;
  const occurred = new Date(Date.UTC(2026, 10, 1) + i * 1000);
  return {
    event_id: `bench-${i}`,
    correlation_id: `${plant}-TX-${Math.floor(i / 2)}`,
    trace_id: (i.toString(16).padStart(8, '0') + 'a'.repeat(24)).slice(0, 32),
    flow: FLOWS[i % FLOWS.length],
    plant,
    source_system: 'MES',
    target_system: 'ERP',
    status: failed ? 'failed' : 'posted',
    attempt: 1 + (i % 2),
    occurred_at: occurred.toISOString(),
    reported_at: new Date(occurred.getTime() + 4200).toISOString(),
    order_no: `100${i % 10_000}`,
    material: `M-${i % 500}`,
    lot: `L${i % 3000}`,
    storage_location: '0001',
    quantity: (i % 40) + 0.5,
    uom: 'EA',
    stock_delta: -((i % 40) + 0.5),
    unit_cost: 12.75,
    ...(failed ? { error: { code: 'M7-021', category: 'period_closed', message: 'Posting period is closed', recoverable: true } } : {}),
  };
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** CPU time (ms) of a process from /proc: user + system, all threads. */
function procCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Where a phase's CPU went: this process and the broker's JVM, per posting and in cores. */
function cpuMeter(brokerPid: number) {
  const p0 = process.cpuUsage();
  const b0 = procCpuMs(brokerPid);
  return (n: number, wallMs: number) => {
    const p = process.cpuUsage(p0);
    const processMs = (p.user + p.system) / 1000;
    const brokerMs = procCpuMs(brokerPid) - b0;
    const per = (ms: number) => ((ms * 1000) / n).toFixed(1);
    const cores = (ms: number) => (ms / wallMs).toFixed(2);
    return { processUs: Number(per(processMs)), brokerUs: Number(per(brokerMs)), cell: `${per(processMs)} / ${per(brokerMs)}`, text: `CPU a posting: process ${per(processMs)} µs (${cores(processMs)} cores), broker ${per(brokerMs)} µs (${cores(brokerMs)} cores)` };
  };
}
let peakRss = 0;
const rssSampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

async function freshStore(dataDir: string, database: string): Promise<Store> {
  const config = loadConfig({ PLANTLINE_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: database });
  const store = await openStore(config, 'write');
  await migrate(store, renderOptions(config));
  return store;
}

async function distinct(store: Store, prefix: string): Promise<number> {
  const [r] = await queryRows<{ n: string }>(store, 'bench', sql`SELECT uniqExact(event_id) AS n FROM postings WHERE startsWith(event_id, ${param('p', 'String', prefix)})`);
  return Number(r.n);
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-bench-'));
  const broker = await startKafkaBroker({ partitions: 4 });
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  const results: Record<string, number> = {};
  const cpu: Record<string, string> = {};
  try {
    await ensureTopics(kafka, 4);
    const messages = Array.from({ length: N }, (_, i) => JSON.stringify(makePosting(i)));
    const bytes = messages.reduce((s, m) => s + m.length, 0);
    console.log(`producing ${N} postings (${Math.round(bytes / N)} bytes each) to a 4-partition topic…`);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < N; i += 5000) {
      await producer.send({ topic: TOPICS.postings, messages: messages.slice(i, i + 5000).map((value, j) => ({ key: `k${(i + j) % 64}`, value })) });
    }
    await producer.disconnect();

    // (a) raw consume
    if (RUN.has('a')) {
      const consumer = kafka.consumer({ groupId: 'bench-raw', maxBytesPerPartition: 1 << 20, maxBytes: 16 << 20, maxWaitTimeInMs: 250 });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPICS.postings, fromBeginning: true });
      let seen = 0;
      let t0 = 0;
      let meter: ReturnType<typeof cpuMeter> | null = null;
      const done = new Promise<number>((resolve) => {
        void consumer.run({
          partitionsConsumedConcurrently: 4,
          eachBatch: async ({ batch }) => {
            if (!t0) {
              t0 = performance.now();
              meter = cpuMeter(broker.pid);
            }
            seen += batch.messages.length;
            if (seen >= N) resolve(performance.now() - t0);
          },
        });
      });
      const ms = await done;
      const used = meter!(N, ms);
      cpu.a = used.cell;
      await consumer.disconnect();
      results.a = rate(N, ms);
      console.log(`(a) raw kafkajs consume: ${results.a.toLocaleString('en-US')} postings/s; ${used.text}`);
    }

    // (b) raw store insert, pre-serialized rows, 20,000-row batches
    if (RUN.has('b')) {
      const store = await freshStore(dataDir, 'bench_raw');
      // the writer's own serialization: one JSON array per row, in the table's column order
      const lines = messages.map((m, i) => {
        const row = postingToRow(JSON.parse(m) as PostingEvent, { source: 'kafka', position: `x/0/${i}` }) as Record<string, unknown>;
        return JSON.stringify(COLUMNS.postings.map((c) => row[c]));
      });
      const t0 = performance.now();
      const meter = cpuMeter(broker.pid);
      for (let i = 0; i < N; i += 20_000) {
        const chunk = lines.slice(i, i + 20_000).join('\n') + '\n';
        await insertRows(store, 'postings', COLUMNS.postings, chunk, `bench-raw-${i}`);
      }
      const ms = performance.now() - t0;
      results.b = rate(N, ms);
      const used = meter(N, ms);
      cpu.b = used.cell;
      console.log(`(b) raw store insert (embedded chDB, JSONCompactEachRow): ${results.b.toLocaleString('en-US')} rows/s; ${used.text}`);
      await store.close();
    }

    // (c) end to end: Kafka -> stored rows
    if (RUN.has('c')) {
      const store = await freshStore(dataDir, 'bench_e2e');
      const extra = await Promise.all(Array.from({ length: WRITERS - 1 }, () => openStore(loadConfig({ PLANTLINE_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: 'bench_e2e' }), 'write')));
      const pipeline = new IngestPipeline([store, ...extra], { ingest: { batchRows: BATCH, flushIntervalMs: 1000, maxBufferedRows: 200_000 } });
      const source = new KafkaSource(pipeline, { brokers: [broker.brokers], groupId: 'bench-e2e', clientId: 'bench-e2e', partitions: 4, log: () => undefined });
      const t0 = performance.now();
      await source.start();
      let firstMessageAt = 0;
      let meter: ReturnType<typeof cpuMeter> | null = null;
      // --profile FILE: a CPU profile of this process's main thread during (c), for Chrome DevTools
      const profiler = args.profile ? new Session() : null;
      if (profiler) {
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      }
      for (;;) {
        const s = source.state();
        if (!firstMessageAt && s.messages > 0) {
          firstMessageAt = performance.now();
          meter = cpuMeter(broker.pid);
          if (profiler) await profiler.post('Profiler.start');
        }
        const committed = s.partitions.filter((p) => p.topic === TOPICS.postings).reduce((sum, p) => sum + Number(p.committed ?? 0), 0);
        if (committed >= N) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const ms = performance.now() - firstMessageAt;
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        fs.writeFileSync(args.profile!, JSON.stringify(profile));
        profiler.disconnect();
      }
      const w = pipeline.stats().writers.find((x) => x.table === 'postings')!;
      const used = meter!(N, ms);
      cpu.c = used.cell;
      // all of the machine's cores busy at this CPU a posting: what (c) could reach at most
      results.cBound = Math.round((os.cpus().length * 1e6) / (used.processUs + used.brokerUs));
      console.log(`    postings writer: ${w.insertedBatches} batches, busy inserting ${Math.round((w.totalInsertMs / ms) * 100)}% of the time; ${used.text}`);
      await source.stop();
      const stored = await distinct(store, 'bench-');
      if (stored !== N) throw new Error(`end to end stored ${stored} of ${N}`);
      results.c = rate(N, ms);
      results.joinMs = Math.round(firstMessageAt - t0);
      console.log(`(c) end to end Kafka -> stored: ${results.c.toLocaleString('en-US')} postings/s (group join took ${results.joinMs} ms, not counted)`);
      await store.close();
    }

    // (d) HTTP ingest
    if (RUN.has('d')) {
      const store = await freshStore(dataDir, 'bench_http');
      const extra = await Promise.all(Array.from({ length: WRITERS - 1 }, () => openStore(loadConfig({ PLANTLINE_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: 'bench_http' }), 'write')));
      const pipeline = new IngestPipeline([store, ...extra], { ingest: { batchRows: 20_000, flushIntervalMs: 1000, maxBufferedRows: 200_000 } });
      const handler = createIngestHandler({ pipeline, ingestToken: 'bench', maxBodyBytes: 8 << 20, busyWaitMs: 600_000, otlpRequiresToken: false, health: async () => ({ ok: true, body: {} }) });
      const server = http.createServer((req, res) => void handler(req, res));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/ingest/postings`;
      const bodies: string[] = [];
      for (let i = 0; i < N; i += 5000) bodies.push(messages.slice(i, i + 5000).join('\n'));
      const t0 = performance.now();
      let next = 0;
      const agent = async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const res = await fetch(url, { method: 'POST', body, headers: { authorization: 'Bearer bench', 'content-type': 'application/x-ndjson' } });
          if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
          await res.arrayBuffer();
        }
      };
      await Promise.all([agent(), agent(), agent(), agent()]);
      results.d = rate(N, performance.now() - t0);
      server.close();
      await pipeline.close();
      const stored = await distinct(store, 'bench-');
      if (stored !== N) throw new Error(`HTTP stored ${stored} of ${N}`);
      console.log(`(d) HTTP ingest (4 agents, 5,000-line NDJSON bodies): ${results.d.toLocaleString('en-US')} postings/s`);
      await store.close();
    }
  } finally {
    clearInterval(rssSampler);
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  if (RUN.size < 4) return;
  const ratio = results.c / Math.min(results.a, results.b);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
  const report = [
    `<!-- bench:ingest -->`,
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:ingest -- --n ${N}\` on ${machine}; Kafka 3.9 single broker and embedded chDB on the same machine.`,
    '',
    '| measure | postings/s | CPU a posting, µs: process / broker |',
    '|---|---|---|',
    `| (a) raw kafkajs consume | ${results.a.toLocaleString('en-US')} | ${cpu.a} |`,
    `| (b) raw store insert, pre-serialized | ${results.b.toLocaleString('en-US')} | ${cpu.b} |`,
    `| (c) end to end, Kafka → stored rows | ${results.c.toLocaleString('en-US')} | ${cpu.c} |`,
    `| (d) HTTP ingest, NDJSON | ${results.d.toLocaleString('en-US')} | |`,
    '',
    `With every core of the machine busy, (c) at that CPU a posting could reach at most ${results.cBound.toLocaleString('en-US')} postings/s, c / min(a, b) = ${(results.cBound / Math.min(results.a, results.b)).toFixed(2)}.`,
    '',
    `c / min(a, b) = **${ratio.toFixed(2)}** (target ≥ 0.7); end to end ${results.c >= 50_000 ? 'meets' : 'misses'} the 50,000 postings/s target. Peak RSS of the process: **${Math.round(peakRss / 2 ** 20)} MiB** (broker excluded: it is its own JVM).`,
    `<!-- /bench:ingest -->`,
  ].join('\n');
  console.log('\n' + report);
  if (args.write) {
    const file = path.join(process.cwd(), 'docs', 'performance.md');
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Performance\n';
    const next = /<!-- bench:ingest -->[\s\S]*<!-- \/bench:ingest -->/.test(current)
      ? current.replace(/<!-- bench:ingest -->[\s\S]*<!-- \/bench:ingest -->/, report)
      : `${current.trimEnd()}\n\n## Ingest\n\n${report}\n`;
    fs.writeFileSync(file, next);
    console.log(`written to ${file}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
