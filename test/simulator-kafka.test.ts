// The simulator over Kafka, as with KAFKA_BROKERS set: postings keyed by correlation_id, snapshots keyed
// by plant, spans as OTLP protobuf on otlp_spans, all consumed by Plantline's Kafka source into the
// store with the ledger's numbers; and replay requests consumed from plantline.replay.v1.
//   node --import tsx --test test/simulator-kafka.test.ts
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker, type KafkaBroker } from './support/kafka-broker';
import { testConfig, scalar } from './support/store';
import { startIngestRuntime, type IngestRuntime } from '../ingest/runtime';
import { param, queryRows, sql } from '../clickhouse/client';
import { TOPICS } from '../lib/contract';
import type { ReplayRequest } from '../ingest/replay';
import { KafkaDelivery, Simulator } from '../simulator';
import { consumeReplayTopic } from '../simulator/replay';

const ORIGIN = Date.parse('2026-10-06T00:00:00Z'); // a Tuesday
const END = ORIGIN + 12 * 3_600_000;

let broker: KafkaBroker;
let runtime: IngestRuntime;
let sim: Simulator;
let delivery: KafkaDelivery;
let stopReplays: (() => Promise<void>) | null = null;

before(async () => {
  broker = await startKafkaBroker({ partitions: 3 });
  runtime = await startIngestRuntime(
    testConfig({ CLICKHOUSE_DATABASE: 'simulator_kafka', KAFKA_BROKERS: broker.brokers, PLANTLINE_KAFKA_PARTITIONS: '3', PLANTLINE_FLUSH_MS: '50', PLANTLINE_SPAN_RETENTION_DAYS: '3650' }),
  );
  delivery = new KafkaDelivery([broker.brokers], { partitions: 3 });
  sim = new Simulator({ seed: 11, plants: 8, rate: 3, origin: ORIGIN, days: 0.5, delivery, ledger: true });
});

after(async () => {
  await stopReplays?.();
  await sim?.stop();
  await runtime?.stop();
  await broker?.stop();
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('postings, snapshots and spans over Kafka reach the store with exactly the ledger’s numbers', async () => {
  await sim.finishAt(END);
  const ledger = sim.ledgerJSON({ drained: true });
  const count = (q: string) => scalar(runtime.readStore, q);
  await waitFor('every message consumed', async () => {
    await runtime.pipeline.flush();
    return (
      (await count('SELECT uniqExact(event_id) FROM postings')) === ledger.sent.posting_events &&
      (await count('SELECT uniqExact(snapshot_id) FROM inventory_snapshots')) === ledger.sent.inventory_messages &&
      (await count('SELECT uniqExact(trace_id, span_id) FROM spans')) === ledger.sent.spans
    );
  });
  const found = await queryRows<{ plant: string; flow: string; status: string; transactions: string }>(runtime.readStore, 'test', sql`
    SELECT plant, flow, status, count() AS transactions FROM (
      SELECT correlation_id, any(plant) AS plant, any(flow) AS flow,
             argMax(status, (reported_at, multiIf(status = 'posted', 3, status = 'failed', 2, 1))) AS status
      FROM (SELECT correlation_id, plant, flow, status, reported_at FROM postings ORDER BY ingested_at LIMIT 1 BY event_id)
      GROUP BY correlation_id)
    GROUP BY plant, flow, status ORDER BY plant, flow, status`);
  assert.deepEqual(found.map((r) => ({ ...r, transactions: Number(r.transactions) })), ledger.transactions.by_plant_flow_status);

  // message keys: correlation_id for postings, plant for snapshots
  const kafka = new Kafka({ clientId: 'sim-test-reader', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'sim-test-keys' });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.postings, TOPICS.inventory], fromBeginning: true });
  const checked = { postings: 0, inventory: 0 };
  await new Promise<void>((resolve, reject) => {
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        const value = JSON.parse(message.value!.toString());
        try {
          if (topic === TOPICS.postings) {
            assert.equal(message.key?.toString(), value.correlation_id);
            checked.postings++;
          } else {
            assert.equal(message.key?.toString(), value.plant);
            checked.inventory++;
          }
        } catch (e) {
          reject(e);
        }
        if (checked.postings >= 200 && checked.inventory >= 50) resolve();
      },
    });
  });
  await consumer.disconnect();
});

test('replay requests on plantline.replay.v1 are executed by the simulator as the middleware', async () => {
  stopReplays = await consumeReplayTopic(delivery.kafka, sim.replays, () => undefined);
  const ledger = sim.ledgerJSON({ drained: true });
  const f = ledger.failures.find((x) => x.replay_now === 'posts');
  assert.ok(f, 'a failure whose cause is gone');
  const request: ReplayRequest = {
    replay_id: 'kafka-replay-1',
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
  };
  const kafka = new Kafka({ clientId: 'plantline-replay-test', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPICS.replay, messages: [{ key: request.correlation_id, value: JSON.stringify(request) }] });
  await producer.disconnect();
  await waitFor('the replay’s posted result', async () => {
    await runtime.pipeline.flush();
    const rows = await queryRows<{ status: string }>(
      runtime.readStore,
      'test',
      sql`SELECT status FROM postings WHERE replay_of = ${param('r', 'String', request.replay_of)} AND attempt = ${param('n', 'UInt32', request.attempt)} AND status = 'posted'`,
    );
    return rows.length > 0;
  });
});
