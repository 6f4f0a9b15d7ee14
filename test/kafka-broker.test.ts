/**
 * End-to-end check of the real Kafka broker harness (test/support/kafka-broker.ts):
 * produce 1,000 keyed messages to a 3-partition topic, read them back with a
 * consumer group, and check the group's committed offsets.
 *
 *   node --import tsx --test test/kafka-broker.test.ts
 *
 * The first run on a machine fetches the Kafka jars with Maven (~25 s).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Kafka, Partitioners, logLevel } from "kafkajs";
import { createTopics, startKafkaBroker, type KafkaBroker } from "./support/kafka-broker";

const TOTAL = 1_000;
const PARTITIONS = 3;

let broker: KafkaBroker | undefined;

before(
  async () => {
    broker = await startKafkaBroker({ partitions: 4 });
  },
  { timeout: 10 * 60_000 }, // includes a first-time Maven fetch of the jars
);

after(async () => {
  await broker?.stop();
});

test("produces 1,000 keyed messages and consumes them with a consumer group", { timeout: 120_000 }, async () => {
  assert.ok(broker, "broker started");
  const suffix = randomBytes(3).toString("hex");
  const topic = `plantline-harness-${suffix}`;
  const groupId = `plantline-harness-group-${suffix}`;

  await createTopics(broker.brokers, [{ topic, numPartitions: PARTITIONS }]);

  const kafka = new Kafka({ clientId: "plantline-harness-test", brokers: [broker.brokers], logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(meta.topics[0]?.partitions.length, PARTITIONS);

    // Produce: 1,000 messages, 100 distinct keys, in batches.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = new Set<string>();
    try {
      for (let start = 0; start < TOTAL; start += 200) {
        const messages = [];
        for (let i = start; i < Math.min(start + 200, TOTAL); i++) {
          const value = `posting-${i}`;
          sent.add(value);
          messages.push({ key: `order-${i % 100}`, value });
        }
        await producer.send({ topic, acks: -1, messages });
      }
    } finally {
      await producer.disconnect();
    }
    assert.equal(sent.size, TOTAL);

    const high = await admin.fetchTopicOffsets(topic);
    const produced = high.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    assert.equal(produced, TOTAL, "high watermarks sum to the number of produced messages");
    assert.ok(
      high.filter((p) => Number(p.high) > 0).length > 1,
      "keys spread over more than one partition",
    );

    // Consume with a group, from the beginning.
    // maxWaitTimeInMs: disconnect() waits for the in-flight fetch, which otherwise
    // long-polls for the default 5 s once the topic is drained.
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250 });
    const received = new Set<string>();
    const keyPartition = new Map<string, number>();
    const keyViolations: string[] = [];
    let deliveries = 0;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let allReceived!: () => void;
      const done = new Promise<void>((resolve) => (allReceived = resolve));
      await consumer.run({
        autoCommitInterval: 500,
        eachMessage: async ({ partition, message }) => {
          deliveries++;
          const key = message.key?.toString() ?? "";
          const seenOn = keyPartition.get(key);
          if (seenOn !== undefined && seenOn !== partition) keyViolations.push(`${key}: ${seenOn} and ${partition}`);
          keyPartition.set(key, partition);
          received.add(message.value?.toString() ?? "");
          if (received.size === TOTAL) allReceived();
        },
      });
      await withTimeout(done, 60_000, () => `only ${received.size}/${TOTAL} messages consumed`);
      assert.equal(received.size, TOTAL, "distinct values received");
      assert.deepEqual([...received].sort(), [...sent].sort());
      assert.ok(deliveries >= TOTAL);
      assert.deepEqual(keyViolations, [], "each key stays on one partition");

      // The committed offsets of the group must reach the end of every partition.
      let committed = -1;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
        committed = offsets
          .flatMap((t) => t.partitions)
          .reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        if (committed >= TOTAL) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(committed, TOTAL, "committed offsets of the group sum to 1,000");
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.disconnect();
  }
});

async function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
