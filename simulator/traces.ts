// The integration's traces, made with the real OpenTelemetry SDK (the tracer provider, batch span
// processor and exporters sdk-node assembles): one trace per transaction across the plant's
// shop-floor service (`mes-p03`), `middleware` and `erp`, with explicit historical start and end
// times so a backfill carries the spans as they happened, and the mfg.* business attributes.
//
// One tracer provider per service, because service.name is a resource attribute and a provider has
// one resource. They are not registered globally: the simulator must not take over the tracing of
// the process it runs in (the embedded app instruments itself). Ids come from the world, through a
// scripted id generator, so the trace id on a posting is the trace id of its spans and a seed
// reproduces both.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type HrTime, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type IdGenerator, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { Attempt, Transaction } from './model';
import { hexId } from './random';

/** Hands the tracer the ids the world chose for the next span. */
class ScriptedIds implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return this.spanId;
  }
}

/** Counts what reached the exporter and what it could not deliver. */
// ExportResultCode.SUCCESS of @opentelemetry/core (a transitive package this project does not depend on directly)
const EXPORT_SUCCESS = 0;
type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];

class CountingExporter implements SpanExporter {
  exported = 0;
  failed = 0;
  lastError: string | null = null;
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => {
      if (r.code === EXPORT_SUCCESS) this.exported += spans.length;
      else {
        this.failed += spans.length;
        this.lastError = r.error?.message ?? 'export failed';
      }
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

const hr = (ms: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];

/** What the ERP's inbound interface is called for each flow (SAP names, which integration people recognise). */
const ERP_OPERATION: Record<string, string> = {
  production_confirmation: 'BAPI_PRODORDCONF_CREATE_TT',
  material_issue: 'BAPI_GOODSMVT_CREATE 261',
  goods_receipt: 'BAPI_GOODSMVT_CREATE 101',
  scrap: 'BAPI_GOODSMVT_CREATE 551',
  inventory_transfer: 'BAPI_GOODSMVT_CREATE 311',
  shipment: 'BAPI_OUTB_DELIVERY_CONFIRM_DEC 601',
  quality_hold: 'BAPI_GOODSMVT_CREATE 344',
};

export type TraceStats = { spans: number; exported: number; failed: number; lastError: string | null };

export class TraceEmitter {
  private readonly ids = new ScriptedIds();
  private readonly tracers = new Map<string, { provider: TracerProvider; tracer: Tracer; exporter: CountingExporter }>();
  private created = 0;

  constructor(private readonly exporterFor: (service: string) => SpanExporter) {}

  private tracer(service: string, tx: Transaction): Tracer {
    let t = this.tracers.get(service);
    if (!t) {
      const attributes: Attributes = { 'service.name': service, 'service.namespace': 'acme-manufacturing', 'deployment.environment.name': 'simulation' };
      if (service.startsWith('mes-')) {
        attributes['mfg.plant'] = tx.plant.code;
        attributes['mfg.shopfloor.kind'] = tx.plant.kind;
      }
      const exporter = new CountingExporter(this.exporterFor(service));
      const provider = new TracerProvider({
        resource: resourceFromAttributes(attributes),
        idGenerator: this.ids,
        // a backfill ends spans far faster than real time: a large queue, flushed by the runner after each step
        spanProcessors: [new BatchSpanProcessor({ exporter, maxQueueSize: 100_000, maxExportBatchSize: 2_000, scheduledDelayMillis: 1_000, exportTimeoutMillis: 60_000 })],
      });
      t = { provider, tracer: provider.getTracer('plantline-simulator', '1'), exporter };
      this.tracers.set(service, t);
    }
    return t.tracer;
  }

  /** Start a span with the world's ids and historical times, end it, and hand it to the SDK. */
  private span(
    service: string,
    tx: Transaction,
    name: string,
    kind: SpanKind,
    spanId: string,
    parent: Context,
    start: number,
    end: number,
    attributes: Attributes,
    error: string | null,
  ): Context {
    this.ids.traceId = tx.traceId;
    this.ids.spanId = spanId;
    const s = this.tracer(service, tx).startSpan(name, { kind, startTime: hr(start), attributes: { ...businessAttributes(tx), ...attributes } }, parent);
    if (error !== null) s.setStatus({ code: SpanStatusCode.ERROR, message: error });
    s.end(hr(Math.max(start, end)));
    this.created++;
    return trace.setSpan(ROOT_CONTEXT, s);
  }

  /** The span that opens a transaction's trace: the source system sending the business message. */
  emitRoot(tx: Transaction, first: Attempt): void {
    const fromErp = tx.flow === 'order_release';
    const sync = !fromErp && tx.plant.latency.accept === null;
    const name = fromErp ? 'erp release production order' : sync ? `terminal post ${tx.flow}` : `${tx.plant.kind === 'modern_mes' ? 'mes' : 'shopfloor-app'} publish ${tx.flow}`;
    const root = hexId(8, tx.traceId, 'root');
    this.span(fromErp ? 'erp' : tx.plant.service, tx, name, SpanKind.PRODUCER, root, ROOT_CONTEXT, tx.occurredAt, rootSpanEnd(tx, first), { 'messaging.operation.type': 'send' }, null);
  }

  /** The spans of one attempt: the middleware's and, when the message reached it, the target system's. */
  emitAttempt(tx: Transaction, a: Attempt): void {
    const fromErp = tx.flow === 'order_release';
    const targetService = fromErp ? tx.plant.service : 'erp';
    const lastEvent = a.events[a.events.length - 1];
    const attemptEnd = attemptSpanEnd(a);
    // every attempt (retries and replays too) hangs under the transaction's first span
    const root = trace.setSpanContext(ROOT_CONTEXT, { traceId: tx.traceId, spanId: hexId(8, tx.traceId, 'root'), traceFlags: TraceFlags.SAMPLED, isRemote: false });

    const failure = a.events.find((e) => e.status === 'failed');
    const attemptAttributes: Attributes = { 'mfg.attempt': a.n, 'mfg.event_id': lastEvent.eventId, 'mfg.status': lastEvent.status };
    if (a.replayOf) attemptAttributes['mfg.replay_of'] = a.replayOf;
    if (a.requestedBy) attemptAttributes['mfg.replay.requested_by'] = a.requestedBy;
    if (failure?.error) {
      attemptAttributes['mfg.error.category'] = failure.error.category;
      attemptAttributes['mfg.error.code'] = failure.error.code;
    }
    const middlewareStart = Math.max(a.n === 1 ? tx.occurredAt : 0, Math.min(a.acceptedAt, a.calledAt) - 3);
    const middlewareEnd = a.middlewareDoneAt ?? attemptEnd;
    const middleware = this.span(
      'middleware',
      tx,
      `${a.n === 1 ? 'route' : a.requestedBy ? 'replay' : 'retry'} ${tx.flow}`,
      SpanKind.CONSUMER,
      hexId(8, tx.traceId, a.n, 'middleware'),
      root,
      middlewareStart,
      middlewareEnd,
      attemptAttributes,
      failure?.error?.message ?? null,
    );
    if (a.targetUnreachable || a.targetDoneAt === null) return;
    const targetError = failure?.error && failure.error.category !== 'timeout' ? failure.error.message : null;
    this.span(
      targetService,
      tx,
      fromErp ? 'mes receive ProductionOrderRelease' : `erp ${ERP_OPERATION[tx.flow] ?? tx.flow}`,
      SpanKind.SERVER,
      hexId(8, tx.traceId, a.n, 'target'),
      middleware,
      a.calledAt,
      a.targetDoneAt,
      { 'mfg.attempt': a.n, ...(targetError ? {} : lastEvent.documentNo ? { 'mfg.document_no': lastEvent.documentNo } : {}) },
      targetError,
    );
  }

  /** Export every span made so far and wait for the exporters. */
  async flush(): Promise<void> {
    await Promise.all([...this.tracers.values()].map((t) => t.provider.forceFlush()));
  }

  stats(): TraceStats {
    let exported = 0;
    let failed = 0;
    let lastError: string | null = null;
    for (const t of this.tracers.values()) {
      exported += t.exporter.exported;
      failed += t.exporter.failed;
      lastError = t.exporter.lastError ?? lastError;
    }
    return { spans: this.created, exported, failed, lastError };
  }

  async shutdown(): Promise<void> {
    // (the providers stay listed: their exporters' counts are still reported)
    await Promise.all([...this.tracers.values()].map((t) => t.provider.shutdown()));
  }
}

/** When the source's span ends: at hand-over to the middleware (a terminal waits for the synchronous answer; an edge buffer holds it through a WAN outage). */
export function rootSpanEnd(tx: Transaction, first: Attempt): number {
  if (tx.flow === 'order_release') return tx.occurredAt + 40;
  if (tx.plant.latency.accept === null) return attemptSpanEnd(first);
  return Math.max(tx.occurredAt + 1, first.acceptedAt - 2);
}

/** When an attempt's last span ends. */
export function attemptSpanEnd(a: Attempt): number {
  return Math.max(a.acceptedAt, ...a.events.map((e) => e.reportedAt), a.middlewareDoneAt ?? 0, a.targetDoneAt ?? 0);
}

function businessAttributes(tx: Transaction): Attributes {
  const a: Attributes = { 'mfg.correlation_id': tx.id, 'mfg.plant': tx.plant.code, 'mfg.flow': tx.flow };
  if (tx.orderNo) a['mfg.order_no'] = tx.orderNo;
  if (tx.material) a['mfg.material'] = tx.material;
  if (tx.lot) a['mfg.lot'] = tx.lot;
  return a;
}
