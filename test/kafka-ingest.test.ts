// Kafka ingest against a real broker and the real engine: a duplicate delivery changes no count,
// poison messages go to rejects and the DLQ while the partition moves on, and a store that fails for a
// while loses nothing, holds memory bounded and resumes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigResourceTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { hrTimeToTimeStamp } from '@opentelemetry/core';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { startKafkaBroker, type KafkaBroker } from './support/kafka-broker';
import { openTestStore, scalar } from './support/store';
import { posting } from './support/fixtures';
import { insertRows, queryRows, sql, type Store } from '../clickhouse/client';
import { IngestPipeline } from '../ingest/pipeline';
import { KafkaSource, ensureTopics, kafkaLogLine, type KafkaSourceOptions } from '../ingest/kafka';
import { TOPICS } from '../lib/contract';

let broker: KafkaBroker;
let kafka: Kafka;
let producer: Producer;

before(async () => {
  broker = await startKafkaBroker({ partitions: 3 });
  kafka = new Kafka({ clientId: 'plantline-test', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, 3);
  producer = kafka.producer();
  await producer.connect();
});

after(async () => {
  await producer?.disconnect();
  await broker?.stop();
});

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sendPostings(values: (string | Buffer | null)[], key = 'TX') {
  for (let i = 0; i < values.length; i += 1000) {
    await producer.send({ topic: TOPICS.postings, messages: values.slice(i, i + 1000).map((value) => ({ key, value })) });
  }
}

/** Start a source on its own consumer group, consume until every partition is committed to its end. */
async function consumeAll(
  store: Store,
  group: string,
  pipeline = new IngestPipeline(store, { ingest: { batchRows: 5000, flushIntervalMs: 50, maxBufferedRows: 50_000 } }),
  opts: Pick<KafkaSourceOptions, 'maxQueuedMessages' | 'maxQueuedBytes' | 'log'> = {},
) {
  const source = new KafkaSource(pipeline, { brokers: [broker.brokers], groupId: group, clientId: group, partitions: 3, log: () => undefined, ...opts });
  await source.start();
  return { source, pipeline };
}

/** A pipeline whose store fails every insert (as if ClickHouse were unreachable) until `up()`. */
function storeDownFor(store: Store, ingest: ConstructorParameters<typeof IngestPipeline>[1]['ingest']) {
  const outage = {
    down: true,
    failedInserts: 0,
    up: () => void (outage.down = false),
    pipeline: new IngestPipeline(
      async (table, columns, chunks, token) => {
        if (outage.down) {
          outage.failedInserts++;
          throw new Error('injected: ClickHouse is unreachable');
        }
        await insertRows(store, table, columns, chunks, token);
      },
      { ingest },
      () => undefined,
    ),
  };
  return outage;
}

/** The end (high watermark) of each of the postings topic's partitions. */
async function topicEnds(): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(TOPICS.postings)).map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

async function caughtUp(source: KafkaSource, topics: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, number>();
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
    const state = source.state();
    return [...ends].every(([key, end]) => {
      if (end === 0) return true;
      const p = state.partitions.find((x) => `${x.topic}/${x.partition}` === key);
      return p !== undefined && Number(p.committed) === end;
    });
  } finally {
    await admin.disconnect();
  }
}

test('a duplicate delivery over Kafka changes no count', async () => {
  const { store } = await openTestStore();
  const events = [1, 2, 3].map((i) => JSON.stringify(posting({ event_id: `kdup-${i}`, correlation_id: 'TX-KDUP', attempt: i })));
  await sendPostings(events, 'TX-KDUP');
  await sendPostings(events, 'TX-KDUP'); // the middleware delivered everything twice
  await sendPostings([events[1]], 'another-key'); // and once more on another partition
  const { source } = await consumeAll(store, 'g-dup');
  await waitFor('the postings topic to be consumed', () => caughtUp(source, [TOPICS.postings]));
  await source.stop();
  assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE correlation_id = 'TX-KDUP'`), 3);
  assert.equal(
    await scalar(store, `SELECT count() FROM (SELECT * FROM postings WHERE correlation_id = 'TX-KDUP' LIMIT 1 BY event_id)`),
    3,
  );
  assert.equal(await scalar(store, `SELECT max(attempt) FROM (SELECT * FROM postings WHERE correlation_id = 'TX-KDUP' LIMIT 1 BY event_id)`), 3);
  await store.close();
});

function otlpSpans(correlationId: string) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'middleware' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const span = provider.getTracer('t').startSpan('route.goods_receipt', { attributes: { 'mfg.correlation_id': correlationId, 'mfg.plant': 'P02' } });
  span.end();
  void hrTimeToTimeStamp;
  return exporter.getFinishedSpans();
}

test('poison messages go to rejects and the DLQ with their reason; every valid message is stored and the partition moves on', async () => {
  const { store } = await openTestStore();
  const valid = (i: number) => JSON.stringify(posting({ event_id: `kp-${i}`, correlation_id: `TX-KP-${i}` }));
  const { correlation_id: _c, ...noCorrelation } = posting({ event_id: 'kp-bad-3' });
  const bad: [string, string | Buffer | null, RegExp][] = [
    ['truncated JSON', '{"event_id":"kp-bad-1","correlation_id":"TX', /^invalid JSON/],
    ['wrong types', JSON.stringify(posting({ event_id: 'kp-bad-2', attempt: 'first' })), /^field attempt: expected a whole number from 1 to 1000000, got "first"$/],
    ['missing correlation_id', JSON.stringify(noCorrelation), /^field correlation_id: is required$/],
    ['unknown flow', JSON.stringify(posting({ event_id: 'kp-bad-4', flow: 'teleport' })), /^field flow: expected one of order_release, .*; got "teleport"$/],
    ['bad timestamp', JSON.stringify(posting({ event_id: 'kp-bad-5', occurred_at: 'yesterday' })), /^field occurred_at: expected an ISO-8601 timestamp/],
    ['payload over 256 KiB', JSON.stringify(posting({ event_id: 'kp-bad-6', payload: { blob: 'x'.repeat(300_000) } })), /^field payload: 300011 bytes, larger than the 256 KiB limit$/],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x65, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), /^not valid UTF-8$/],
    ['empty message', Buffer.alloc(0), /^empty message$/],
    ['an array', JSON.stringify([posting({ event_id: 'kp-bad-9' })]), /^expected one JSON object, got an array$/],
    ['null (tombstone)', null, /^empty message$/],
    // valid JSON that JSON.stringify cannot write back (it used to end its whole batch and freeze the partition's commits)
    ['payload nested too deeply', JSON.stringify(posting({ event_id: 'kp-bad-11' })).replace(/}$/, `,"payload":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`), /^field payload: nested too deeply to store/],
  ];
  // each bad message sits between valid ones in the same partition (same key)
  const sequence: (string | Buffer | null)[] = [];
  bad.forEach(([, value], i) => sequence.push(valid(i * 2), value, valid(i * 2 + 1)));
  await sendPostings(sequence, 'TX-KP');
  await producer.send({ topic: TOPICS.inventory, messages: [{ key: 'P01', value: JSON.stringify({ snapshot_id: 'kp-inv', plant: 'P01', system: 'SAP', storage_location: '1', material: 'M', quantity: 1, uom: 'EA', as_of: '2026-11-03T10:00:00Z' }) }] });
  // spans: protobuf garbage and JSON garbage, between a valid protobuf and a valid JSON OTLP request
  const spans = otlpSpans('TX-KP-SPAN');
  await producer.send({
    topic: TOPICS.spans,
    messages: [
      { key: 'a', value: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!) },
      { key: 'a', value: Buffer.from([0x0a, 0x05, 0x12, 0x03, 0xff, 0xff]) },
      { key: 'a', value: Buffer.from('{"resourceSpans": 7}') },
      { key: 'a', value: Buffer.from(JsonTraceSerializer.serializeRequest(otlpSpans('TX-KP-SPAN-2'))!) },
    ],
  });

  const { source } = await consumeAll(store, 'g-poison');
  await waitFor('every inbound topic to be consumed', () => caughtUp(source, [TOPICS.postings, TOPICS.inventory, TOPICS.spans]));
  await source.stop();

  // two valid messages around each bad one
  assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'kp-%'`), 2 * bad.length);
  assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'kp-bad%'`), 0);
  const rejects = await queryRows<{ source_position: string; reason: string; raw_bytes: number; stream: string }>(
    store,
    'test',
    sql`SELECT stream, source_position, reason, raw_bytes FROM rejects WHERE source = 'kafka' ORDER BY stream, source_position`,
  );
  const postingRejects = rejects.filter((r) => r.stream === 'postings');
  // rejects from earlier tests' topics are not in this database: exactly the bad postings
  assert.equal(postingRejects.length, bad.length);
  const byReason = (re: RegExp) => postingRejects.filter((r) => re.test(r.reason));
  for (const [kind, , re] of bad.filter(([k]) => k !== 'empty message' && k !== 'null (tombstone)')) {
    assert.equal(byReason(re).length, 1, `${kind}: one reject matching ${re}`);
  }
  assert.equal(byReason(/^empty message$/).length, 2);
  assert.deepEqual(rejects.filter((r) => r.stream === 'inventory').map((r) => r.reason), ['field system: expected one of MES, ERP, WMS; got "SAP"']);
  const spanRejects = rejects.filter((r) => r.stream === 'spans');
  assert.equal(spanRejects.length, 2);
  assert.deepEqual(spanRejects.map((r) => r.raw_bytes).sort(), [20, 6]);
  assert.equal(await scalar(store, `SELECT uniqExact(trace_id, span_id) FROM spans WHERE correlation_id IN ('TX-KP-SPAN', 'TX-KP-SPAN-2')`), 2);

  // and the DLQ topic carries each of them, raw bytes and reason in the headers
  const dlq = kafka.consumer({ groupId: 'g-dlq-check' });
  await dlq.connect();
  await dlq.subscribe({ topic: TOPICS.dlq, fromBeginning: true });
  const seen = new Map<string, { reason: string; bytes: number }>();
  await dlq.run({
    eachMessage: async ({ message }) => {
      seen.set(String(message.headers?.position), { reason: String(message.headers?.reason), bytes: message.value?.length ?? 0 });
    },
  });
  await waitFor('the DLQ to be read', () => rejects.every((r) => seen.has(r.source_position)), 30_000);
  await dlq.disconnect();
  for (const r of rejects) {
    assert.equal(seen.get(r.source_position)!.reason, r.reason);
    assert.equal(seen.get(r.source_position)!.bytes, r.raw_bytes);
  }
  await store.close();
});

test('a reject the DLQ topic refuses (over its size limit) stays in the rejects table; the others reach the DLQ and the partition moves on', async () => {
  const { store } = await openTestStore();
  const admin = kafka.admin();
  await admin.connect();
  const dlqLimit = async (bytes: string | null) =>
    admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPICS.dlq, configEntries: [{ name: 'max.message.bytes', value: bytes ?? '1048588' }] }] });
  try {
    // the DLQ topic takes at most 3,000 bytes a batch; the inbound topic takes the 6 KB message
    await dlqLimit('3000');
    const valid = (i: number) => JSON.stringify(posting({ event_id: `kd-${i}`, correlation_id: `TX-KD-${i}` }));
    const big = JSON.stringify(posting({ event_id: 'kd-big', correlation_id: 'TX-KD-big', order_no: 'x'.repeat(6000) }));
    const small = JSON.stringify(posting({ event_id: 'kd-small', correlation_id: 'TX-KD-small', flow: 'teleport' }));
    await sendPostings([valid(1), big, valid(2), small, valid(3)], 'TX-KD');
    const { source, pipeline } = await consumeAll(store, 'g-dlq-refused');
    await waitFor('the postings topic to be consumed and committed', () => caughtUp(source, [TOPICS.postings]));
    await source.stop();
    assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE startsWith(event_id, 'kd-')`), 3);
    // (the group reads the topic from the start: earlier tests' messages are in this store too)
    const reasons = await queryRows<{ reason: string }>(store, 'test', sql`SELECT reason FROM rejects WHERE source = 'kafka' AND position(base64Decode(raw_base64), '"kd-') > 0 ORDER BY raw_bytes DESC`);
    assert.deepEqual(reasons.map((r) => r.reason), ['field order_no: longer than 128 characters', `field flow: expected one of order_release, production_confirmation, material_issue, goods_receipt, scrap, inventory_transfer, quality_hold, shipment; got "teleport"`]);
    // the DLQ copies missing are those of the rejects over the limit (the big one, and the poison
    // test's 300 KB payload when that ran before), and health would say so
    const { dead_letters } = pipeline.stats();
    assert.ok(dead_letters.unpublished >= 1);
    assert.equal(dead_letters.unpublished, await scalar(store, `SELECT count() FROM rejects WHERE source = 'kafka' AND raw_bytes > 3000`));
    assert.match(dead_letters.lastError ?? '', /^\d+ reject\(s\) not published to the DLQ topic \(kept in the rejects table\): /);
    const dlq = kafka.consumer({ groupId: 'g-dlq-refused-check' });
    await dlq.connect();
    await dlq.subscribe({ topic: TOPICS.dlq, fromBeginning: true });
    const seen = new Set<string>();
    await dlq.run({ eachMessage: async ({ message }) => void seen.add(String(message.headers?.reason)) });
    await waitFor('the small reject on the DLQ', () => [...seen].some((r) => r.includes('"teleport"')), 30_000);
    await dlq.disconnect();
    assert.ok(![...seen].some((r) => r.startsWith('field order_no')));
  } finally {
    await dlqLimit(null);
    await admin.disconnect();
    await store.close();
  }
});

test('record batches the topic compresses with zstd, lz4 or snappy are read like gzip ones', async () => {
  const { store } = await openTestStore();
  const admin = kafka.admin();
  await admin.connect();
  const compression = (type: string) =>
    admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPICS.postings, configEntries: [{ name: 'compression.type', value: type }] }] });
  try {
    // the broker writes what the producer sends (uncompressed) with the topic's codec
    for (const codec of ['zstd', 'lz4', 'snappy']) {
      await compression(codec);
      await sendPostings(Array.from({ length: 10 }, (_, i) => JSON.stringify(posting({ event_id: `kc-${codec}-${i}`, correlation_id: `TX-KC-${codec}-${i}` }))), `kc-${codec}`);
    }
    await compression('producer');
    const { source } = await consumeAll(store, 'g-codecs');
    await waitFor('the postings topic to be consumed and committed', () => caughtUp(source, [TOPICS.postings]));
    await source.stop();
    assert.equal(source.state().state === 'error', false);
    for (const codec of ['zstd', 'lz4', 'snappy']) {
      assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE startsWith(event_id, 'kc-${codec}-')`), 10, codec);
    }
  } finally {
    await compression('producer');
    await admin.disconnect();
    await store.close();
  }
});

test('a store that fails inserts for a while: consumption pauses with memory bounded, nothing is lost, it resumes', async () => {
  const { store } = await openTestStore();
  const N = 30_000;
  const values = Array.from({ length: N }, (_, i) => JSON.stringify(posting({ event_id: `ko-${i}`, correlation_id: `TX-KO-${i % 997}` })));
  await sendPostings(values, 'TX-KO');

  const outage = storeDownFor(store, { batchRows: 2000, flushIntervalMs: 50, maxBufferedRows: 6000 });
  const { pipeline } = outage;
  const { source } = await consumeAll(store, 'g-outage', pipeline, { maxQueuedMessages: 5000 });
  let peakBuffered = 0;
  let peakQueued = 0;
  const sampler = setInterval(() => {
    peakBuffered = Math.max(peakBuffered, pipeline.bufferedRows);
    peakQueued = Math.max(peakQueued, source.state().queued);
  }, 5);
  await waitFor('the writers to fill up and consumption to pause', () => pipeline.saturated && outage.failedInserts >= 3);
  await new Promise((r) => setTimeout(r, 1500));
  // paused: nothing stored, nothing committed past the store, memory held to the bound plus the
  // batches already fetched (at most one fetch per partition consumed concurrently)
  assert.equal(await scalar(store, `SELECT count() FROM postings WHERE event_id LIKE 'ko-%'`), 0);
  const committed = source.state().partitions.filter((p) => p.topic === TOPICS.postings && p.committed !== null);
  assert.deepEqual(committed, []);
  assert.ok(pipeline.bufferedRows < N, `buffered ${pipeline.bufferedRows} of ${N}`);

  outage.up();
  await waitFor('consumption to resume and finish', () => caughtUp(source, [TOPICS.postings]), 120_000);
  clearInterval(sampler);
  await source.stop();
  assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'ko-%'`), N);
  // the writers: their bound plus the one fetched batch (≈3,100 of these postings in ~1 MiB) decoded last;
  // waiting to be decoded: the queue's bound plus at most one fetch per partition consumed at once
  assert.ok(peakBuffered <= 6000 + 4000, `peak buffered rows ${peakBuffered}`);
  assert.ok(peakQueued <= 5000 + 3 * 4000, `peak queued messages ${peakQueued}`);
  assert.equal(source.state().queued, 0);
  await store.close();
});

test('large messages: while the store is down the writers and the fetch queue hold to their byte bounds, far below their row bounds; nothing is lost', async () => {
  const { store } = await openTestStore();
  // 60 postings of ≈150 KB (9 MB in all), one a send so that each is its own record batch, over 6 keys
  // and so the topic's 3 partitions
  const N = 60;
  for (let i = 0; i < N; i++) {
    await producer.send({
      topic: TOPICS.postings,
      messages: [{ key: `big-${i % 6}`, value: JSON.stringify(posting({ event_id: `big-${i}`, correlation_id: `TX-BIG-${i}`, payload: { text: 'x'.repeat(150_000) } })) }],
    });
  }
  const MiB = 1024 * 1024;
  const outage = storeDownFor(store, { batchRows: 2000, flushIntervalMs: 50, maxBufferedRows: 100_000, maxBufferedBytes: MiB });
  const { pipeline } = outage;
  // the group reads the topic from its start: the earlier tests' few thousand small postings come too
  const { source } = await consumeAll(store, 'g-big', pipeline, { maxQueuedMessages: 20_000, maxQueuedBytes: MiB });
  let peakBuffered = 0;
  let peakQueued = 0;
  const sampler = setInterval(() => {
    peakBuffered = Math.max(peakBuffered, pipeline.bufferedBytes);
    peakQueued = Math.max(peakQueued, source.state().queuedBytes);
  }, 5);
  try {
    await waitFor('the writers to fill up and consumption to pause', () => pipeline.saturated && outage.failedInserts >= 3);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await scalar(store, `SELECT count() FROM postings WHERE event_id LIKE 'big-%'`), 0);
    // held by what the rows weigh, not by their number
    assert.ok(pipeline.bufferedBytes >= MiB && pipeline.bufferedRows < 100_000, `buffered ${pipeline.bufferedRows} rows, ${pipeline.bufferedBytes} bytes`);
    assert.equal(source.state().state, 'paused');
    outage.up();
    await waitFor('consumption to resume and finish', () => caughtUp(source, [TOPICS.postings]), 120_000);
  } finally {
    clearInterval(sampler);
    outage.up();
    await source.stop();
  }
  assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE event_id LIKE 'big-%'`), N);
  assert.equal(await scalar(store, `SELECT min(length(payload)) FROM postings WHERE event_id LIKE 'big-%'`), 150_011);
  // the writers: their bound plus the batch decoded last (a fetch of one partition, at most 1 MiB of
  // messages, serialized with a few hundred characters more a row); the queue: its bound plus at most
  // one fetch for each of the 3 partitions handled at once. Row bounds alone let all 9 MB in.
  assert.ok(peakBuffered <= MiB + 1.1 * MiB, `peak buffered ${peakBuffered} bytes`);
  assert.ok(peakQueued <= MiB + 3 * MiB, `peak queued ${peakQueued} bytes`);
  assert.ok(peakBuffered >= MiB, `the writers reached their bound (${peakBuffered} bytes)`);
  assert.equal(source.state().queuedBytes, 0);
  await store.close();
});

test('stop() stores what was fetched and commits it to the group before leaving it', async () => {
  const { store } = await openTestStore();
  const N = 3000;
  // three keys: the messages spread over the topic's partitions
  for (const k of ['s-a', 's-b', 's-c']) {
    await sendPostings(Array.from({ length: N / 3 }, (_, i) => JSON.stringify(posting({ event_id: `kst-${k}-${i}`, correlation_id: `TX-KST-${k}-${i}` }))), k);
  }
  // a slow store: when stop() is called, fetched messages still wait in the queue and the writers
  const pipeline = new IngestPipeline(
    async (table, columns, chunks, token) => {
      await new Promise((r) => setTimeout(r, 300));
      await insertRows(store, table, columns, chunks, token);
    },
    { ingest: { batchRows: 500, flushIntervalMs: 20, maxBufferedRows: 100_000 } },
    () => undefined,
  );
  const { source } = await consumeAll(store, 'g-stop', pipeline);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(TOPICS.postings)).map((p) => [p.partition, Number(p.high)]));
    await waitFor('everything to be fetched', () => source.state().messages >= [...ends.values()].reduce((a, b) => a + b, 0));
    await source.stop();
    // every fetched message is stored, and the group's own committed offsets (read back from the broker) are at the ends
    assert.ok(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE startsWith(event_id, 'kst-')`) === N);
    const [committed] = await admin.fetchOffsets({ groupId: 'g-stop', topics: [TOPICS.postings] });
    const withMessages = [...ends].filter(([, end]) => end > 0).sort((a, b) => a[0] - b[0]);
    assert.ok(withMessages.length >= 2);
    assert.deepEqual(
      committed.partitions.filter((p) => ends.get(p.partition)! > 0).map((p) => [p.partition, Number(p.offset)]).sort((a, b) => a[0] - b[0]),
      withMessages,
    );
  } finally {
    await admin.disconnect();
    await store.close();
  }
});

test('a member whose store held part of partitions the group then gave to another member does not commit them back over the new owner', async () => {
  const { store } = await openTestStore();
  const keys = Array.from({ length: 30 }, (_, k) => `rg-${k}`);
  for (const k of keys) await sendPostings(Array.from({ length: 1000 }, (_, i) => JSON.stringify(posting({ event_id: `krg-${k}-${i}`, correlation_id: `TX-KRG-${k}` }))), k);
  // the first member's store is held until the second has committed its partitions to their ends: the
  // first then holds the start of every partition (8,000 rows of 30,000)
  let released = false;
  const first = await consumeAll(
    store,
    'g-stale',
    new IngestPipeline(
      async (table, columns, chunks, token) => {
        while (!released) await new Promise((r) => setTimeout(r, 50));
        await insertRows(store, table, columns, chunks, token);
      },
      { ingest: { batchRows: 500, flushIntervalMs: 20, maxBufferedRows: 8000 } },
      () => undefined,
    ),
    { maxQueuedMessages: 500 },
  );
  await waitFor('the first member to be held by its store', () => first.pipeline.saturated);
  const second = await consumeAll(store, 'g-stale', new IngestPipeline(store, { ingest: { batchRows: 500, flushIntervalMs: 20, maxBufferedRows: 1000 } }), { maxQueuedMessages: 500 });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(TOPICS.postings)).map((p) => [p.partition, Number(p.high)]));
    const behind = async () =>
      (await admin.fetchOffsets({ groupId: 'g-stale', topics: [TOPICS.postings] }))[0].partitions.filter((p) => ends.get(p.partition) !== 0 && Number(p.offset) !== ends.get(p.partition)).map((p) => p.partition);
    await waitFor('the second member to commit its partitions to their ends', async () => {
      const mine = second.source.state().partitions.filter((p) => p.topic === TOPICS.postings);
      return mine.length > 0 && mine.every((p) => p.lag === 0 && p.committed !== null);
    }, 90_000);
    released = true;
    await waitFor('the first member to store what it held', () => first.pipeline.bufferedRows === 0 && first.source.state().queued === 0, 60_000);
    await waitFor('the group to hold every partition at its end', async () => (await behind()).length === 0, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await Promise.all([first.source.stop(), second.source.stop()]);
    // no partition was committed back to where the first member's held rows ended
    assert.deepEqual(await behind(), []);
    assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE startsWith(event_id, 'krg-')`), 30 * 1000);
  } finally {
    await admin.disconnect();
    await store.close();
  }
});

test('a second consumer joining the group mid-stream: the partitions are shared out, nothing is lost, every offset ends committed', async () => {
  const { store } = await openTestStore();
  const N = 6000;
  // thirty keys: every partition of the topic has messages
  const keys = Array.from({ length: 30 }, (_, k) => `r-${k}`);
  for (const k of keys) {
    await sendPostings(Array.from({ length: N / keys.length }, (_, i) => JSON.stringify(posting({ event_id: `krb-${k}-${i}`, correlation_id: `TX-KRB-${k}-${i}` }))), k);
  }
  // the first member's store holds its inserts until the second member has consumed something: the
  // first sits in back-pressure with batches fetched, queued and in its writers when the group rebalances
  // (kafkajs lets a rebalance wait up to 60 s for a member; the store gives up holding after 30 s, and the test then fails)
  let second: Awaited<ReturnType<typeof consumeAll>> | null = null;
  let heldTooLong = false;
  const secondConsumed = async () => {
    const deadline = Date.now() + 30_000;
    while (!(second && second.source.state().messages > 0)) {
      if (Date.now() > deadline) {
        heldTooLong = true;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const pipeline = (gate: boolean) =>
    new IngestPipeline(
      async (table, columns, chunks, token) => {
        if (gate) await secondConsumed();
        await insertRows(store, table, columns, chunks, token);
      },
      { ingest: { batchRows: 500, flushIntervalMs: 20, maxBufferedRows: 1000 } },
      () => undefined,
    );
  // what the members log: a rebalance is no error (kafkajs rejoins by itself)
  const logged: string[] = [];
  const log = (line: string) => logged.push(line);
  const first = await consumeAll(store, 'g-rebalance', pipeline(true), { maxQueuedMessages: 500, log });
  await waitFor('the first member to be held by its store', () => first.pipeline.saturated);
  second = await consumeAll(store, 'g-rebalance', pipeline(false), { maxQueuedMessages: 500, log });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(TOPICS.postings)).map((p) => [p.partition, Number(p.high)]));
    const groupAtEnds = async () => {
      const [committed] = await admin.fetchOffsets({ groupId: 'g-rebalance', topics: [TOPICS.postings] });
      return committed.partitions.every((p) => ends.get(p.partition) === 0 || Number(p.offset) === ends.get(p.partition));
    };
    await waitFor('the group to commit every partition to its end', groupAtEnds, 120_000);
    await Promise.all([first.source.stop(), second.source.stop()]);
    assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE startsWith(event_id, 'krb-')`), N);
    assert.equal(heldTooLong, false, 'the group rebalanced while the first member was held by its store');
    const consumed = [first.source.state().messages, second.source.state().messages];
    assert.ok(consumed[0] > 0 && consumed[1] > 0, `messages consumed by each member: ${consumed.join(', ')}`);
    assert.ok(await groupAtEnds(), 'the group committed every partition to its end');
    assert.deepEqual(logged, []);
  } finally {
    await admin.disconnect();
    await store.close();
  }
});

test("a partition that ends in an aborted transaction's records is committed to its end: no lag is left behind it, nothing of it is stored", async () => {
  const { store } = await openTestStore();
  for (const partition of [0, 1, 2]) {
    await producer.send({ topic: TOPICS.postings, messages: [{ partition, value: JSON.stringify(posting({ event_id: `kept-${partition}`, correlation_id: `TX-KEPT-${partition}` })) }] });
  }
  const { source } = await consumeAll(store, 'g-aborted');
  const transactional = kafka.producer({ transactionalId: 'plantline-test-aborted', idempotent: true, maxInFlightRequests: 1 });
  try {
    await waitFor('the committed postings consumed', () => caughtUp(source, [TOPICS.postings]), 30_000);
    const before = await topicEnds();
    // then, on each partition, a transaction's two postings and its abort marker: the member's next
    // fetches hold nothing readable
    await transactional.connect();
    const transaction = await transactional.transaction();
    for (const partition of [0, 1, 2]) {
      await transaction.send({
        topic: TOPICS.postings,
        messages: [0, 1].map((i) => ({ partition, value: JSON.stringify(posting({ event_id: `aborted-${partition}-${i}`, correlation_id: `TX-ABORTED-${partition}` })) })),
      });
    }
    await transaction.abort();
    // the topic's ends move past the abort markers (two records and the marker on each partition)
    await waitFor('the ends past the abort markers', async () => {
      const now = await topicEnds();
      return [0, 1, 2].every((p) => now.get(p) === before.get(p)! + 3);
    });
    // the ends are now after the abort markers: the group commits up to them
    await waitFor('every partition committed to its end', () => caughtUp(source, [TOPICS.postings]), 30_000);
    const committed = source.state().partitions.filter((p) => p.topic === TOPICS.postings);
    assert.deepEqual(
      committed.map((p) => [p.partition, Number(p.committed), Number(p.highWatermark), p.lag]).sort(),
      [0, 1, 2].map((p) => [p, before.get(p)! + 3, before.get(p)! + 3, 0]),
    );
  } finally {
    await transactional.disconnect();
    await source.stop();
  }
  assert.equal(await scalar(store, `SELECT uniqExact(event_id) FROM postings WHERE startsWith(event_id, 'kept-')`), 3);
  assert.equal(await scalar(store, `SELECT count() FROM postings WHERE startsWith(event_id, 'aborted-')`), 0);
  assert.equal(await scalar(store, `SELECT count() FROM rejects WHERE position(raw, 'aborted-') > 0`), 0);
  await store.close();
});

test('kafkajs log lines: broker answers kafkajs retries by itself are left out, anything else keeps the broker error', () => {
  const entry = (message: string, error?: string) => ({ label: 'ERROR', log: { message, error, timestamp: '', logger: 'kafkajs' } as never });
  // two processes starting at once; a rebalance; a broker still electing leaders
  assert.equal(kafkaLogLine(entry('Response CreateTopics(key: 19, version: 3)', 'Topic with this name already exists')), null);
  assert.equal(kafkaLogLine(entry('Response Heartbeat(key: 12, version: 3)', 'The group is rebalancing, so a rejoin is needed')), null);
  assert.equal(kafkaLogLine(entry('Response Metadata(key: 3, version: 6)', 'There is no leader for this topic-partition as we are in the middle of a leadership election')), null);
  assert.equal(kafkaLogLine(entry('Response FindCoordinator(key: 10, version: 2)', 'The group coordinator is not available')), null);
  // kept, with the error that used to be left out of the line
  assert.equal(
    kafkaLogLine(entry('Response Produce(key: 0, version: 7)', 'The request included a message larger than the max message size the server will accept')),
    'ERROR: Response Produce(key: 0, version: 7): The request included a message larger than the max message size the server will accept',
  );
  assert.equal(kafkaLogLine(entry('Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available')), 'ERROR: Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available');
});
