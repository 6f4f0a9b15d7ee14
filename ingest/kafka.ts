// Kafka source: one consumer group on the three inbound topics. Offsets are committed only up to the
// last message whose rows (and rejects) are durably stored, so a crash at any point re-delivers, never
// loses; re-delivered rows collapse on event_id. Poison messages go to rejects and the DLQ topic and
// the partition moves on.
import { Kafka, logLevel, type Consumer, type LogEntry, type EachBatchPayload, type KafkaMessage, type Producer, type Admin } from 'kafkajs';
import { TOPICS, type InventoryRow, type PostingRow } from '../lib/contract';
import { decodeMessage } from './decode';
import { registerKafkaCodecs } from './kafka-codecs';
import { decodeValidSpans, sniffOtlpEncoding, type SpanRow } from './otlp';
import type { DeadLetterSink, IngestPipeline, Reject } from './pipeline';

export type KafkaSourceOptions = {
  brokers: string[];
  groupId: string;
  clientId: string;
  /** Partitions for topics Plantline creates when they are missing. */
  partitions?: number;
  sessionTimeoutMs?: number;
  /** Fetched messages that may wait to be decoded (default 20,000): the next fetch is on its way meanwhile. */
  maxQueuedMessages?: number;
  /** What those messages may weigh (default 64 MiB): large messages pause fetching before their number does. */
  maxQueuedBytes?: number;
  log?: (msg: string) => void;
};

/** A fetched batch in its partition's pending list: `next` is the offset to commit once it is durable. */
type PendingBatch = { next: bigint; durable: boolean };

/** A fetched batch waiting to be decoded, with its entry in its partition's pending list. */
type QueuedBatch = { topic: string; partition: number; messages: KafkaMessage[]; bytes: number; range: string; entry: PendingBatch };

type PartitionState = {
  /** Batches handed to the pipeline, in offset order. */
  pending: PendingBatch[];
  committed: bigint | null;
  highWatermark: bigint;
};

export type KafkaSourceState = {
  state: 'starting' | 'running' | 'paused' | 'stopped' | 'error' | 'send-only';
  lag: number;
  partitions: { topic: string; partition: number; committed: string | null; highWatermark: string; lag: number }[];
  lastError: string | null;
  messages: number;
  /** Fetched messages waiting to be decoded, and their bytes (keys and values). */
  queued: number;
  queuedBytes: number;
};

const INBOUND = [TOPICS.postings, TOPICS.inventory, TOPICS.spans];

export class KafkaSource implements DeadLetterSink {
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private readonly partitions = new Map<string, PartitionState>();
  /**
   * `topic/partition` of the partitions the group gave this member at its last join (null before the
   * first). Only those are committed: a batch fetched before a rebalance for a partition now another
   * member's is still stored (a duplicate the reads ignore), but its offset is not committed over the
   * new owner's, which would send the partition back and deliver it all again.
   */
  private assigned: Set<string> | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> | null = null;
  private status: KafkaSourceState['state'] = 'starting';
  private lastError: string | null = null;
  private messages = 0;
  /** Fetched batches not yet decoded, in fetch order, and the loop that decodes them. */
  private readonly queued: QueuedBatch[] = [];
  private queuedMessages = 0;
  private queuedBytes = 0;
  private decoding: Promise<void> | null = null;
  private stopping = false;
  private readonly maxQueuedMessages: number;
  private readonly maxQueuedBytes: number;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly opts: KafkaSourceOptions,
  ) {
    this.log = opts.log ?? ((m) => console.error(`[kafka] ${m}`));
    this.maxQueuedMessages = opts.maxQueuedMessages ?? 20_000;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 64 * 1024 * 1024;
    // batches compressed with snappy, lz4 or zstd, not only gzip
    registerKafkaCodecs();
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => {
        const line = kafkaLogLine(entry);
        if (line !== null) this.log(line);
      },
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
  }

  /** `consume: false`: the producer alone (replay requests from a web-only process), no consumer group. */
  async start(opts: { consume?: boolean } = {}): Promise<void> {
    await ensureTopics(this.kafka, this.opts.partitions ?? 6);
    this.producer = this.kafka.producer({ allowAutoTopicCreation: true, idempotent: false });
    await this.producer.connect();
    if (opts.consume === false) {
      this.status = 'send-only';
      return;
    }
    this.pipeline.setDeadLetterSink(this);

    this.consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((this.opts.sessionTimeoutMs ?? 30_000) / 3)),
      // a fetch is memory too: ~1 MiB per partition keeps what waits outside the writers small
      maxBytesPerPartition: 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      maxWaitTimeInMs: 250,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment as Record<string, number[]>;
      this.assigned = new Set(Object.entries(assignment).flatMap(([topic, parts]) => parts.map((part) => `${topic}/${part}`)));
      // what this member knew of partitions it no longer holds: not its to commit, nor to report lag for
      for (const key of [...this.partitions.keys()]) if (!this.assigned.has(key)) this.partitions.delete(key);
    });
    // A fetch that held only records no one may read (an aborted transaction's, or transaction markers)
    // reaches no handler: kafkajs reports it here alone, with no message (batchSize 0). Nothing of it is
    // stored, so its offset is committed as soon as what came before it is durable; otherwise the group's
    // offset would stay behind it, with lag, until the next readable message on that partition.
    this.consumer.on(this.consumer.events.START_BATCH_PROCESS, (e) => {
      const { topic, partition, batchSize, lastOffset, highWatermark } = e.payload as { topic: string; partition: number; batchSize: number; lastOffset: string; highWatermark: string };
      if (batchSize !== 0 || this.stopping || (this.assigned && !this.assigned.has(`${topic}/${partition}`))) return;
      const state = this.partition(topic, partition);
      const next = BigInt(lastOffset) + 1n;
      const last = state.pending.at(-1)?.next ?? state.committed;
      if (last !== null && next <= last) return;
      state.highWatermark = BigInt(highWatermark);
      state.pending.push({ next, durable: true });
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.status = 'error';
      this.lastError = String(e.payload.error?.message ?? e.payload.error);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: INBOUND, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.status = 'running';
    this.commitTimer = setInterval(() => void this.commitDurable(), 250);
  }

  private partition(topic: string, partition: number): PartitionState {
    const key = `${topic}/${partition}`;
    let p = this.partitions.get(key);
    if (!p) {
      p = { pending: [], committed: null, highWatermark: 0n };
      this.partitions.set(key, p);
    }
    return p;
  }

  /**
   * kafkajs fetches the next batches only once every handler of the current fetch has returned. The
   * handler therefore only queues the batch and returns, and the batches are decoded here, in fetch
   * order, while the broker prepares the next fetch: decoding and fetching overlap instead of taking
   * turns. What waits here is bounded (`maxQueuedMessages`, `maxQueuedBytes`); offsets are still committed
   * only once durable.
   */
  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || this.stopping) return;
    // Back-pressure: hold this partition while the writers are full (the store is slow or down) or
    // enough is already waiting to be decoded; nothing of this batch is taken, and nothing is
    // committed, until there is room.
    while (this.pipeline.saturated || this.queuedMessages >= this.maxQueuedMessages || this.queuedBytes >= this.maxQueuedBytes) {
      if (!isRunning() || isStale() || this.stopping) return;
      if (this.pipeline.saturated) this.status = 'paused';
      await new Promise((r) => setTimeout(r, this.pipeline.saturated ? 100 : 5));
      try {
        await heartbeat();
      } catch {
        // the group is rebalancing (or this member was removed): give the batch back untaken, so that
        // kafkajs can rejoin now rather than once the store has room; it is fetched again afterwards
        return;
      }
    }
    if (this.status === 'paused') this.status = 'running';
    const { topic, partition } = batch;
    const state = this.partition(topic, partition);
    state.highWatermark = BigInt(batch.highWatermark);
    const last = batch.lastOffset();
    const entry: PendingBatch = { next: BigInt(last) + 1n, durable: false };
    state.pending.push(entry);
    this.messages += batch.messages.length;
    let bytes = 0;
    for (const m of batch.messages) bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
    this.queued.push({ topic, partition, messages: batch.messages, bytes, range: `${topic}/${partition}/${batch.firstOffset()}-${last}`, entry });
    this.queuedMessages += batch.messages.length;
    this.queuedBytes += bytes;
    this.decoding ??= this.decodeQueued();
    // Fetching may go on: the offset is resolved for the fetcher, but committed only once durable.
    resolveOffset(last);
    await heartbeat().catch(() => undefined);
  }

  /**
   * Decode the queued batches one at a time, yielding between them so fetch responses are read
   * meanwhile, and none while the writers are full: they then hold at most their bound plus one batch.
   */
  private async decodeQueued(): Promise<void> {
    try {
      while (this.queued.length) {
        await new Promise((r) => setImmediate(r));
        // while the writers are full, what was fetched waits here as it came (bounded by maxQueuedMessages and maxQueuedBytes)
        await this.pipeline.waitForCapacity();
        const job = this.queued.shift()!;
        this.queuedMessages -= job.messages.length;
        this.queuedBytes -= job.bytes;
        try {
          this.submit(job);
        } catch (e) {
          // never expected (decoding answers every message with a verdict): nothing of this partition is
          // committed past the batch from now on, so it is re-delivered after a restart; health says so
          this.status = 'error';
          this.lastError = `batch ${job.range} not decoded: ${(e as Error).message}; this partition commits nothing more until a restart`;
          this.log(this.lastError);
        }
      }
    } finally {
      this.decoding = null;
    }
  }

  private submit({ topic, partition, messages, range, entry }: QueuedBatch): void {
    const postings: PostingRow[] = [];
    const inventory: InventoryRow[] = [];
    const spans: SpanRow[] = [];
    const rejects: Reject[] = [];
    for (const m of messages) {
      const position = `${topic}/${partition}/${m.offset}`;
      const raw = m.value ?? Buffer.alloc(0);
      if (topic === TOPICS.spans) {
        try {
          if (raw.length === 0) throw new Error('empty message');
          // a span that is not valid is left out (and the message kept in rejects with its reason); the rest is stored
          const { rows, partial } = decodeValidSpans(raw, sniffOtlpEncoding(raw));
          for (const s of rows) spans.push(s);
          if (partial) rejects.push({ stream: 'spans', source: 'kafka', position, line: 0, reason: partial.errorMessage, raw });
        } catch (e) {
          rejects.push({ stream: 'spans', source: 'kafka', position, line: 0, reason: (e as Error).message, raw });
        }
        continue;
      }
      const stream = topic === TOPICS.postings ? 'postings' : 'inventory';
      const result = decodeMessage(stream, raw, { source: 'kafka', position });
      if (result.ok) (stream === 'postings' ? postings : inventory).push(result.row as never);
      else rejects.push({ stream, source: 'kafka', position, line: 0, reason: result.reason, raw });
    }
    // a fetch's offset range depends on where it began (a re-delivery starts elsewhere): a row the store
    // refuses is named by its topic and partition (spans) or its own offset (postings, snapshots)
    const origin = `${topic}/${partition}`;
    const durable = Promise.all([
      this.pipeline.submitPostings(postings, range, origin),
      this.pipeline.submitInventory(inventory, range, origin),
      this.pipeline.submitSpans(spans, range, origin),
      this.pipeline.reject(rejects),
    ]);
    durable.then(
      () => {
        entry.durable = true;
        // commit as soon as something is durable (one commit at a time; the timer is the fallback)
        void this.commitDurable();
      },
      (e) => {
        this.lastError = `batch ${range} not stored: ${(e as Error).message}`;
        this.log(this.lastError);
      },
    );
  }

  private durableWaiting(): boolean {
    for (const p of this.partitions.values()) if (p.pending.length && p.pending[0].durable) return true;
    return false;
  }

  /**
   * Commit, per partition, the offset after the longest run of durable batches, again while more became
   * durable meanwhile; one loop at a time (later callers share it). A failed commit ends the loop: the
   * timer's next call retries it.
   */
  private commitDurable(): Promise<void> {
    if (this.committing || !this.consumer) return this.committing ?? Promise.resolve();
    this.committing = (async () => {
      try {
        while ((await this.commitOnce()) && this.durableWaiting());
      } finally {
        this.committing = null;
      }
    })();
    return this.committing;
  }

  /** One commit of what is durable; false when there was nothing to commit or the commit failed. */
  private async commitOnce(): Promise<boolean> {
    const consumer = this.consumer;
    if (!consumer) return false;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [key, p] of this.partitions) {
      if (this.assigned && !this.assigned.has(key)) {
        // fetched before a rebalance gave the partition to another member: stored, never committed here
        p.pending.length = 0;
        continue;
      }
      let next: bigint | null = null;
      while (p.pending.length && p.pending[0].durable) next = p.pending.shift()!.next;
      if (next !== null && (p.committed === null || next > p.committed)) {
        const slash = key.lastIndexOf('/');
        offsets.push({ topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)), offset: next.toString() });
        p.committed = next;
      }
    }
    if (offsets.length === 0) return false;
    try {
      await consumer.commitOffsets(offsets);
      return true;
    } catch (e) {
      // A failed commit only means re-delivery after a restart; the next commit covers it.
      this.lastError = `offset commit failed: ${(e as Error).message}`;
      for (const o of offsets) {
        const p = this.partition(o.topic, o.partition);
        if (p.committed === BigInt(o.offset)) p.committed = null;
        p.pending.unshift({ next: BigInt(o.offset), durable: true });
      }
      return false;
    }
  }

  async publish(rejects: Reject[]): Promise<void> {
    if (!this.producer || rejects.length === 0) return;
    await this.producer.send({
      topic: TOPICS.dlq,
      messages: rejects.map((r) => ({
        key: r.position,
        value: Buffer.from(r.raw),
        headers: { reason: r.reason, stream: r.stream, source: r.source, position: r.position, line: String(r.line) },
      })),
    });
  }

  /** Replay requests and other outbound messages share the producer. */
  async send(topic: string, messages: { key: string; value: string; headers?: Record<string, string> }[]): Promise<void> {
    if (!this.producer) throw new Error('Kafka producer is not connected');
    await this.producer.send({ topic, messages });
  }

  state(): KafkaSourceState {
    const partitions = [...this.partitions].filter(([key]) => !this.assigned || this.assigned.has(key)).map(([key, p]) => {
      const slash = key.lastIndexOf('/');
      const lag = p.committed === null ? Number(p.highWatermark) : Math.max(0, Number(p.highWatermark - p.committed));
      return {
        topic: key.slice(0, slash),
        partition: Number(key.slice(slash + 1)),
        committed: p.committed?.toString() ?? null,
        highWatermark: p.highWatermark.toString(),
        lag,
      };
    });
    return {
      state: this.status,
      lag: partitions.reduce((s, p) => s + p.lag, 0),
      partitions,
      lastError: this.lastError,
      messages: this.messages,
      queued: this.queuedMessages,
      queuedBytes: this.queuedBytes,
    };
  }

  /**
   * Stop fetching, store what was fetched, commit it, leave the group. The commits happen while the
   * consumer still runs: kafkajs refuses commits once `consumer.stop()` has returned.
   */
  async stop(): Promise<void> {
    if (this.commitTimer) clearInterval(this.commitTimer);
    // no more fetches, and a batch handed over from now on is left for the next consumer (nothing of it is committed)
    this.stopping = true;
    try {
      this.consumer?.pause(INBOUND.map((topic) => ({ topic })));
    } catch {
      // the consumer is between runs (restarting after a crash, or never ran): nothing is being fetched
    }
    // what was fetched is decoded and handed to the writers before they are flushed
    while (this.decoding) await this.decoding;
    await this.pipeline.flush();
    // let the durable-callbacks run before the last commit
    await new Promise((r) => setImmediate(r));
    await this.commitDurable();
    // what became durable during a commit in flight, or a commit that failed: once more before leaving
    if (this.durableWaiting()) await this.commitDurable();
    await this.consumer?.stop();
    await this.consumer?.disconnect();
    this.pipeline.setDeadLetterSink(null);
    await this.producer?.disconnect();
    this.status = 'stopped';
  }
}

// Broker answers kafkajs logs as errors although it retries them itself and they change nothing: a topic
// another process created first (both starting at once), a heartbeat during a rebalance, a coordinator or
// partition leader not elected yet (a broker starting).
const RETRIED_BY_KAFKAJS = [
  'Topic with this name already exists',
  'The group is rebalancing, so a rejoin is needed',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
];

/**
 * The line kafkajs' log entry becomes, with the broker's error when it gave one, or null for a broker
 * answer that kafkajs retries by itself (RETRIED_BY_KAFKAJS). What it gives up on is still logged: a
 * consumer crash, a send that failed.
 */
export function kafkaLogLine({ label, log }: Pick<LogEntry, 'label' | 'log'>): string | null {
  const error = typeof log.error === 'string' ? log.error : '';
  if (log.message.startsWith('Response ') && RETRIED_BY_KAFKAJS.includes(error)) return null;
  return `${label}: ${log.message}${error ? `: ${error}` : ''}`;
}

export async function ensureTopics(kafka: Kafka, partitions: number): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...INBOUND, TOPICS.dlq, TOPICS.replay].filter((t) => !existing.has(t));
    if (missing.length) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions })) });
    }
  } finally {
    await admin.disconnect();
  }
}
