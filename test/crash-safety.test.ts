// Crash safety: the ingest process is SIGKILLed at random points while it consumes 200,000 postings
// from a real Kafka broker into the embedded store (server-crash-safety.test.ts: a ClickHouse server).
// After a final clean run the store holds exactly 200,000 distinct event_ids and counting queries see no
// duplicate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker, type KafkaBroker } from './support/kafka-broker';
import { posting } from './support/fixtures';
import { serverEnv } from './support/store';
import { ensureTopics } from '../ingest/kafka';
import { TOPICS } from '../lib/contract';
import { loadConfig } from '../lib/config';
import { openStore, queryRows, sql } from '../clickhouse/client';

const TOTAL = 200_000;
const KILLS = 6;
const GROUP = 'plantline-crash-test';

let broker: KafkaBroker;
let kafka: Kafka;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-crash-'));
// the embedded store in dataDir, or a database on the ClickHouse server of server-crash-safety.test.ts
// (read when the children start, after that file's hook has started the server)
const storeEnv = (): Record<string, string> => ({ PLANTLINE_DATA_DIR: dataDir, ...serverEnv(`crash_${process.pid}`) });

before(async () => {
  broker = await startKafkaBroker({ partitions: 4 });
  kafka = new Kafka({ clientId: 'crash-test', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, 4);
});

after(async () => {
  await broker?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Deterministic pseudo-random numbers, so a failing run can be repeated with its seed. */
function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Child = { proc: ChildProcess; port: Promise<number>; exited: Promise<number | null>; log: string[] };

function startIngest(): Child {
  const log: string[] = [];
  const proc = spawn(process.execPath, ['--import', 'tsx', 'ingest/main.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      KAFKA_BROKERS: broker.brokers,
      PLANTLINE_KAFKA_GROUP: GROUP,
      ...storeEnv(),
      PLANTLINE_INGEST_TOKEN: 'crash-test-token',
      PLANTLINE_SIMULATOR: 'off',
      PORT: '0',
      // smaller, more frequent batches: more commit points for a kill to fall between
      PLANTLINE_BATCH_ROWS: '5000',
      PLANTLINE_FLUSH_MS: '200',
      // a killed consumer holds its partitions until its session times out: keep that short here
      PLANTLINE_KAFKA_SESSION_TIMEOUT_MS: '6000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = new Promise<number>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      log.push(text);
      const m = /http on :(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`ingest exited (${code}) before it was up: ${log.join('')}`)));
  });
  proc.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  port.catch(() => undefined);
  return { proc, port, exited, log };
}

async function acceptedSoFar(port: number): Promise<number> {
  try {
    const h = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { ingest: { accepted: { postings: number } } };
    return h.ingest.accepted.postings;
  } catch {
    return -1;
  }
}

async function groupCommitted(): Promise<{ committed: number; end: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(TOPICS.postings);
    const [offsets] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPICS.postings] });
    const committed = offsets.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    return { committed, end: ends.reduce((s, p) => s + Number(p.high), 0) };
  } finally {
    await admin.disconnect();
  }
}

test(`${TOTAL} postings survive ${KILLS} SIGKILLs of the ingest process: exactly ${TOTAL} distinct event_ids, no duplicate counted`, { timeout: 600_000 }, async () => {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < TOTAL; i += 2000) {
    const messages = [];
    for (let j = i; j < i + 2000; j++) {
      const correlation = `TX-C-${j % 50_000}`;
      messages.push({ key: correlation, value: JSON.stringify(posting({ event_id: `crash-${j}`, correlation_id: correlation, attempt: 1 + Math.floor(j / 50_000) })) });
    }
    await producer.send({ topic: TOPICS.postings, messages });
  }
  await producer.disconnect();

  const seed = Number(process.env.PLANTLINE_CRASH_SEED ?? Date.now() % 100_000);
  const random = mulberry32(seed);
  const progress: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    const child = startIngest();
    const port = await child.port;
    // a random point: one kill in three during start-up or the group join, the others mid-stream
    const midStream = random() > 1 / 3;
    const started = Date.now();
    if (midStream) while ((await acceptedSoFar(port)) <= 0 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
    const delay = Math.floor(random() * (midStream ? 1500 : 2500));
    await new Promise((r) => setTimeout(r, delay));
    const seen = await acceptedSoFar(port);
    child.proc.kill('SIGKILL');
    await child.exited;
    const { committed } = await groupCommitted();
    progress.push(`kill ${k + 1} ${midStream ? 'mid-stream' : 'at start-up'}, ${delay} ms in: this run had accepted ${seen}, group committed ${committed}`);
  }
  console.log(`crash test seed ${seed}\n  ${progress.join('\n  ')}`);

  // a final clean run consumes the rest, then stops gracefully
  const finalStart = Date.now();
  const last = startIngest();
  await last.port;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { committed, end } = await groupCommitted();
    if (committed === end && end === TOTAL) break;
    if (Date.now() > deadline) throw new Error(`final run did not catch up: committed ${committed} of ${end}\n${last.log.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`final run caught up in ${Date.now() - finalStart} ms`);
  last.proc.kill('SIGTERM');
  assert.equal(await last.exited, 0);

  const store = await openStore(loadConfig(storeEnv()), 'read');
  try {
    const [r] = await queryRows<{ distinct_ids: string; deduped_rows: string; in_range: string; transactions: string }>(
      store,
      'test',
      sql`SELECT
            (SELECT uniqExact(event_id) FROM postings) AS distinct_ids,
            (SELECT count() FROM (SELECT event_id FROM postings LIMIT 1 BY event_id)) AS deduped_rows,
            (SELECT countIf(toUInt32(substring(event_id, 7)) < 200000) FROM (SELECT event_id FROM postings LIMIT 1 BY event_id)) AS in_range,
            (SELECT uniqExact(correlation_id) FROM postings) AS transactions`,
    );
    assert.equal(Number(r.distinct_ids), TOTAL);
    assert.equal(Number(r.deduped_rows), TOTAL);
    assert.equal(Number(r.in_range), TOTAL);
    assert.equal(Number(r.transactions), 50_000);
    // once parts merge, the table itself holds one row per event_id
    await store.client.command({ query: 'OPTIMIZE TABLE postings FINAL' });
    const [merged] = await queryRows<{ n: string }>(store, 'test', sql`SELECT count() AS n FROM postings`);
    assert.equal(Number(merged.n), TOTAL);
  } finally {
    await store.close();
  }
});
