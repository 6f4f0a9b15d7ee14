// One transaction end to end (CONTRACT §4 /api/v1/transactions/{correlation_id}): every posting event
// (one per event_id, in reported order) with its error, payload and document number; the spans of
// its traces; the actions taken on it; and its status as of `at`. Only within the viewer's plants.
import { TupleParam } from '@clickhouse/client';
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { chTime, isoFromCh, type Filters, type Scope } from './filters';
import { transactionsSql } from './transactions';

export type TransactionEvent = {
  event_id: string; status: string; attempt: number; replay_of: string; flow: string; plant: string;
  source_system: string; target_system: string; occurred_at: string; reported_at: string; order_no: string;
  operation: string; material: string; lot: string; storage_location: string; document_no: string;
  posting_period: string; quantity: number | null; uom: string; stock_delta: number | null; unit_cost: number | null;
  error_code: string; error_category: string; error_message: string; error_recoverable: boolean | null;
  payload: unknown; trace_id: string; source: string; source_position: string;
};

export type TransactionSpan = {
  trace_id: string; span_id: string; parent_span_id: string; service_name: string; span_name: string;
  span_kind: string; start: string; duration_ms: number; status_code: string; status_message: string;
  attributes: Record<string, string>;
};

export type TransactionAction = { action_id: string; action: string; actor: string; assignee: string; comment: string; details: unknown; at: string };

export type TransactionSummary = {
  correlation_id: string; plant: string; flow: string; status: string; occurred_at: string;
  first_posted_at: string | null; latency_ms: number | null; attempts: number; exception_since: string | null;
  threshold_minutes: number; sla_state: string; state: string; assignee: string;
};

export type TransactionDetail = { correlation_id: string; status: string; summary: TransactionSummary; events: TransactionEvent[]; spans: TransactionSpan[]; actions: TransactionAction[] };

/** `payloads: false` leaves the original business messages out (roles that may not see them). */
export async function getTransaction(store: Store, correlationId: string, f: Filters, scope: Scope, opts: { payloads: boolean } = { payloads: true }): Promise<TransactionDetail | null> {
  const id = param('correlation_id', 'String', correlationId);
  const at = param('at', "DateTime64(3, 'UTC')", chTime(f.at));
  const scopeCondition = scope.plants ? sql` AND plant IN ${param('scope_plants', 'Array(String)', scope.plants)}` : sql``;
  // where it lives (transaction_keys, a point lookup), so the reads below go through postings' sort key,
  // and the traces span_transactions links to it (spans that carry its correlation id): one query
  const found = await queryRows<{ plant: string; flow: string; hour: string; trace_id: string }>(
    store,
    'getTransaction.keys',
    sql`SELECT DISTINCT plant, flow, hour, '' AS trace_id FROM transaction_keys WHERE correlation_id = ${id}${scopeCondition}
        UNION ALL
        SELECT DISTINCT '', '', toDateTime(0, 'UTC'), trace_id FROM span_transactions WHERE correlation_id = ${id}`,
  );
  const keys = found.filter((k) => k.plant !== '');
  if (keys.length === 0) return null;
  const located = sql`(plant, flow, toStartOfHour(occurred_at)) IN ${param('tx_keys', "Array(Tuple(String, String, DateTime('UTC')))", keys.map((k) => new TupleParam([k.plant, k.flow, k.hour])))}
    AND correlation_id = ${id}`;
  // the whole life of the transaction, whatever the page's time range
  const unbounded: Filters = { ...f, plants: [], flows: [], from: new Date(0), to: new Date('2200-01-01T00:00:00Z') };
  // three independent reads: side by side against a server (chDB runs them one after another)
  const [events, [summary], actions] = await Promise.all([
    queryRows<Record<string, unknown>>(
      store,
      'getTransaction.events',
      sql`
SELECT event_id, status, attempt, replay_of, flow, plant, source_system, target_system,
       occurred_at, reported_at, order_no, operation, material, lot,
       storage_location, document_no, posting_period, quantity, uom, stock_delta, unit_cost, error_code, error_category,
       error_message, error_recoverable, if(${param('with_payloads', 'Bool', opts.payloads)}, payload, '') AS payload, trace_id, source, source_position
FROM postings
WHERE ${located} AND reported_at <= ${at}${scopeCondition}
ORDER BY reported_at ASC, multiIf(status = 'posted', 3, status = 'failed', 2, 1) ASC, event_id ASC
LIMIT 1 BY event_id`,
    ),
    queryRows<Record<string, string | number | null>>(
      store,
      'getTransaction.summary',
      sql`SELECT correlation_id, plant, flow, status, occurred_at, first_posted_at,
                 latency_ms, attempts, exception_since, threshold_minutes, sla_state, state, assignee
          FROM (${transactionsSql(unbounded, scope, located, { actions: sql`correlation_id = ${id}` })})`,
    ),
    queryRows<Record<string, unknown>>(
      store,
      'getTransaction.actions',
      sql`SELECT action_id, action, actor, assignee, comment, details, at
          FROM exception_actions WHERE correlation_id = ${id} AND at <= ${at}
          ORDER BY at ASC LIMIT 1 BY action_id`,
    ),
  ]);
  // spans of its traces (those linked to it, and those its events name): from the day before the
  // business event (spans are partitioned by day) to `at`
  const traceIds = [...new Set([...found.filter((k) => k.plant === '').map((k) => k.trace_id), ...events.map((e) => String(e.trace_id ?? ''))])].filter(Boolean);
  const firstOccurred = Math.min(...keys.map((k) => Date.parse(`${k.hour.replace(' ', 'T')}Z`)));
  // a trace may cross plants (a batch job, a shared middleware call): a viewer limited to some plants sees
  // their spans and those that name no plant (middleware, ERP), not another plant's
  const spanScope = scope.plants ? sql` AND (plant IN ${param('scope_plants', 'Array(String)', scope.plants)} OR plant = '')` : sql``;
  const spansFrom = param('spans_from', "DateTime64(3, 'UTC')", chTime(new Date(firstOccurred - 24 * 3600_000)));
  const spans = traceIds.length === 0
    ? []
    : await queryRows<Record<string, unknown>>(
        store,
        'getTransaction.spans',
        sql`
SELECT trace_id, span_id, parent_span_id, service_name, span_name, span_kind, timestamp AS start,
       duration_ns / 1e6 AS duration_ms, status_code, status_message, span_attributes AS attributes
FROM spans
WHERE trace_id IN ${param('trace_ids', 'Array(String)', traceIds)}
  AND timestamp >= ${spansFrom} AND timestamp <= ${at}${spanScope}
ORDER BY timestamp ASC, span_id ASC
LIMIT 1 BY trace_id, span_id
LIMIT 2000`,
      );
  if (events.length === 0 || !summary) return null;
  const json = (s: unknown) => {
    if (typeof s !== 'string' || s === '') return null;
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  };
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const s = summary;
  return {
    correlation_id: correlationId,
    status: String(s.status),
    summary: {
      correlation_id: correlationId,
      plant: String(s.plant),
      flow: String(s.flow),
      status: String(s.status),
      occurred_at: isoFromCh(String(s.occurred_at))!,
      first_posted_at: isoFromCh(s.first_posted_at as string | null),
      latency_ms: num(s.latency_ms),
      attempts: Number(s.attempts),
      exception_since: isoFromCh(s.exception_since as string | null),
      threshold_minutes: Number(s.threshold_minutes),
      sla_state: String(s.sla_state),
      state: String(s.state),
      assignee: String(s.assignee),
    },
    events: events.map((e) => ({
      ...(e as unknown as TransactionEvent),
      attempt: Number(e.attempt),
      occurred_at: isoFromCh(e.occurred_at as string)!,
      reported_at: isoFromCh(e.reported_at as string)!,
      quantity: num(e.quantity),
      stock_delta: num(e.stock_delta),
      unit_cost: num(e.unit_cost),
      error_recoverable: e.error_recoverable === null ? null : Boolean(e.error_recoverable),
      payload: json(e.payload),
    })),
    spans: spans.map((sp) => ({ ...(sp as unknown as TransactionSpan), start: isoFromCh(String(sp.start))!.replace(/(\.\d{3})\d*Z$/, '$1Z'), duration_ms: Number(sp.duration_ms) })),
    actions: actions.map((a) => ({ ...(a as unknown as TransactionAction), details: json(a.details), at: isoFromCh(String(a.at))! })),
  };
}
