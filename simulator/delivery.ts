// How the simulator's messages reach Plantline: over Kafka when KAFKA_BROKERS is set (postings keyed by
// correlation_id, snapshots by plant, spans as OTLP protobuf on `otlp_spans`, as the Collector's kafka
// exporter writes them), otherwise over HTTP to a running app (NDJSON with the ingest token, spans
// through the OTLP/HTTP protobuf exporter to /v1/traces). A capture sink keeps everything in memory
// for tests. Sends are pipelined (a few requests in flight): the app answers an ingest request once
// its rows are stored, which takes up to a flush interval.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { TOPICS, type InventorySnapshot, type PostingEvent } from '../lib/contract';

export interface Delivery {
  readonly describe: string;
  postings(events: PostingEvent[]): Promise<void>;
  inventory(snapshots: InventorySnapshot[]): Promise<void>;
  spanExporter(service: string): SpanExporter;
  /** Wait until everything handed over so far is accepted. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];
const EXPORT_SUCCESS = 0;
const EXPORT_FAILED = 1;

/** A bounded number of sends in flight; the first failure is reported by the next call. */
class InFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: Error | null = null;
  constructor(private readonly limit: number) {}

  async add(send: () => Promise<void>): Promise<void> {
    this.check();
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.check();
    const p: Promise<void> = send()
      .catch((e: Error) => {
        this.failure ??= e;
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drain(): Promise<void> {
    while (this.running.size) await Promise.race(this.running);
    this.check();
  }

  private check() {
    if (this.failure) {
      const e = this.failure;
      this.failure = null;
      throw e;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpDelivery implements Delivery {
  readonly describe: string;
  private readonly inFlight: InFlight;
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
    private readonly opts: { concurrency?: number; linesPerRequest?: number; log?: (m: string) => void } = {},
  ) {
    this.base = url.replace(/\/+$/, '');
    this.describe = `HTTP ${this.base} (NDJSON to /api/ingest/*, OTLP protobuf to /v1/traces)`;
    this.inFlight = new InFlight(opts.concurrency ?? 8);
  }

  postings(events: PostingEvent[]) {
    return this.send('/api/ingest/postings', events);
  }

  inventory(snapshots: InventorySnapshot[]) {
    return this.send('/api/ingest/inventory', snapshots);
  }

  private async send(path: string, items: object[]): Promise<void> {
    const per = this.opts.linesPerRequest ?? 5_000;
    for (let i = 0; i < items.length; i += per) {
      const lines = items.slice(i, i + per).map((x) => JSON.stringify(x));
      await this.inFlight.add(() => this.post(path, lines));
    }
  }

  /**
   * POST one NDJSON body. Like a plant's edge buffer, it keeps the message and retries for as long as
   * the app is unreachable or failing (5xx), so nothing is lost and the simulator waits; it refuses to
   * go on when the app says the request itself is wrong (a bad token, a rejected line: a simulator bug).
   */
  private async post(path: string, lines: string[]): Promise<void> {
    const body = lines.join('\n');
    let wait = 250;
    for (let attempt = 1; ; attempt++) {
      let res: Response | null = null;
      let problem: string;
      try {
        res = await fetch(this.base + path, {
          method: 'POST',
          body,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/x-ndjson' },
        });
        problem = `HTTP ${res.status}`;
      } catch (e) {
        problem = (e as Error).message;
      }
      const text = res ? await res.text() : '';
      if (!res || res.status >= 500 || res.status === 429) {
        if (attempt === 3 || attempt % 20 === 0) this.opts.log?.(`${this.base}${path} unavailable (${problem}); holding the messages and retrying`);
        await sleep(wait);
        wait = Math.min(wait * 2, 5_000);
        continue;
      }
      if (res.status === 413 && lines.length > 1) {
        // the app takes smaller bodies (PLANTLINE_MAX_BODY_BYTES): send it in halves
        await this.post(path, lines.slice(0, lines.length >> 1));
        await this.post(path, lines.slice(lines.length >> 1));
        return;
      }
      if (res.status === 401) throw new Error(`${path}: the app refused the ingest token (401); pass the token it printed at first start (--token or PLANTLINE_INGEST_TOKEN)`);
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
      const answer = JSON.parse(text) as { accepted: number; rejected: { line: number; reason: string }[] };
      if (answer.rejected.length || answer.accepted !== lines.length) {
        throw new Error(`${path}: the app accepted ${answer.accepted} of ${lines.length} lines; first rejections: ${JSON.stringify(answer.rejected.slice(0, 3))}`);
      }
      return;
    }
  }

  spanExporter(): SpanExporter {
    return new OTLPTraceExporter({ url: `${this.base}/v1/traces`, headers: { authorization: `Bearer ${this.token}` }, timeoutMillis: 60_000, concurrencyLimit: 8 });
  }

  drain() {
    return this.inFlight.drain();
  }

  async close() {
    await this.drain();
  }
}

/** Spans as the OpenTelemetry Collector's kafka exporter writes them: one ExportTraceServiceRequest (protobuf) per message. */
class KafkaSpanExporter implements SpanExporter {
  constructor(private readonly producer: () => Promise<Producer>) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    const body = ProtobufTraceSerializer.serializeRequest(spans);
    if (!body) return done({ code: EXPORT_FAILED, error: new Error('could not serialize spans') });
    this.producer()
      .then((p) => p.send({ topic: TOPICS.spans, acks: -1, messages: [{ value: Buffer.from(body) }] }))
      .then(
        () => done({ code: EXPORT_SUCCESS }),
        (e: Error) => done({ code: EXPORT_FAILED, error: e }),
      );
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

export class KafkaDelivery implements Delivery {
  readonly describe: string;
  readonly kafka: Kafka;
  private producer: Promise<Producer> | null = null;
  private readonly inFlight = new InFlight(4);

  constructor(
    readonly brokers: string[],
    private readonly opts: { partitions?: number; log?: (m: string) => void } = {},
  ) {
    this.describe = `Kafka ${brokers.join(',')} (${TOPICS.postings}, ${TOPICS.inventory}, OTLP protobuf to ${TOPICS.spans})`;
    this.kafka = new Kafka({
      clientId: 'plantline-simulator',
      brokers,
      logLevel: logLevel.ERROR,
      logCreator: () => ({ label, log }) => opts.log?.(`kafka ${label}: ${log.message}`),
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
  }

  /** Connect once, creating the topics Plantline reads if they do not exist yet (Plantline creates them too). */
  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = [TOPICS.postings, TOPICS.inventory, TOPICS.spans, TOPICS.replay].filter((t) => !existing.has(t));
        if (missing.length) {
          await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: this.opts.partitions ?? 6 })) }).catch(() => undefined);
        }
      } finally {
        await admin.disconnect();
      }
      const producer = this.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      return producer;
    })();
    return this.producer;
  }

  postings(events: PostingEvent[]) {
    return this.produce(TOPICS.postings, events.map((e) => ({ key: e.correlation_id, value: JSON.stringify(e) })));
  }

  inventory(snapshots: InventorySnapshot[]) {
    return this.produce(TOPICS.inventory, snapshots.map((s) => ({ key: s.plant, value: JSON.stringify(s) })));
  }

  private async produce(topic: string, messages: { key: string; value: string }[]) {
    for (let i = 0; i < messages.length; i += 2_000) {
      const chunk = messages.slice(i, i + 2_000);
      await this.inFlight.add(async () => {
        const p = await this.connected();
        await p.send({ topic, acks: -1, messages: chunk });
      });
    }
  }

  spanExporter(): SpanExporter {
    return new KafkaSpanExporter(() => this.connected());
  }

  drain() {
    return this.inFlight.drain();
  }

  async close() {
    await this.drain();
    if (this.producer) await (await this.producer).disconnect();
  }
}

/** Everything in memory, in delivery order: for tests (the same seed must give the same stream) and dry runs. */
export class CaptureDelivery implements Delivery {
  readonly describe = 'in-memory capture';
  readonly lines: string[] = [];
  readonly spans: string[] = [];

  async postings(events: PostingEvent[]) {
    for (const e of events) this.lines.push(`posting ${JSON.stringify(e)}`);
  }

  async inventory(snapshots: InventorySnapshot[]) {
    for (const s of snapshots) this.lines.push(`inventory ${JSON.stringify(s)}`);
  }

  spanExporter(): SpanExporter {
    const spans = this.spans;
    return {
      export(batch: ReadableSpan[], done: (r: ExportResult) => void) {
        for (const s of batch) {
          spans.push(
            JSON.stringify({
              service: s.resource.attributes['service.name'],
              trace_id: s.spanContext().traceId,
              span_id: s.spanContext().spanId,
              parent_span_id: s.parentSpanContext?.spanId ?? '',
              name: s.name,
              kind: s.kind,
              start: s.startTime,
              end: s.endTime,
              status: s.status,
              attributes: Object.fromEntries(Object.entries(s.attributes).sort(([a], [b]) => (a < b ? -1 : 1))),
            }),
          );
        }
        done({ code: EXPORT_SUCCESS });
      },
      async shutdown() {},
    };
  }

  async drain() {}
  async close() {}
}
