// One row per transaction (all posting events with one correlation_id) as it stood at `at`, per
// CONTRACT §3. Every business view counts from these rows, so the definitions live in one place:
// - current status: status of the latest event (greatest reported_at; ties posted > failed > pending);
// - latency of a posted transaction: reported_at of its first posted event − occurred_at;
// - an exception (current status failed) ages from the earliest failed event after the last
//   non-failed one; its hand-set state (acknowledged, assigned, resolved) comes from exception_actions;
// - SLA threshold: the plant's override for the flow, else the contract's default.
// Duplicate deliveries (same event_id) cannot change any of these: argMax/min/max ignore repeats and
// every count of events counts distinct event_ids.
import { param, raw, sql, type Raw, type Sql } from '../clickhouse/client';
import { DEFAULT_SLA_MINUTES } from '../lib/sla';
import { chTime, keyConditions, postingConditions, type Filters, type Scope } from './filters';

// status rank for ties at the same reported_at: posted > failed > pending
const RANK = raw(`multiIf(status = 'posted', 3, status = 'failed', 2, 1)`);

/**
 * SLA threshold in minutes for (plant, flow): the latest override in sla_policies (joined as
 * `policy` from policySql), else the contract's default for the flow in column `flowColumn`.
 */
export function thresholdSql(flowColumn = 't.tx_flow'): Raw {
  const flows = Object.keys(DEFAULT_SLA_MINUTES).map((flow) => `'${flow}'`).join(', ');
  const minutes = Object.values(DEFAULT_SLA_MINUTES).map((m) => `toUInt32(${m})`).join(', ');
  // the defaults are constants of the contract (lib/sla.ts) and the column a name, not values from a
  // request; one transform() rather than a multiIf of every flow: a smaller query tree to plan
  return raw(`if(policy.policy_minutes > 0, policy.policy_minutes, transform(${flowColumn}, [${flows}], [${minutes}], toUInt32(60)))`);
}

/**
 * A transaction's SLA state at `at` (CONTRACT §3) from SQL expressions for its current status, its
 * occurred_at, its latency in ms (read only when posted) and its threshold in minutes: 'closed_breach'
 * (posted, latency over the threshold), 'met' (posted within it), 'open_breach' (not posted, older than
 * the threshold at `at`) or 'open'. The raw rows (transactionsSql) and the SLA rollup
 * (queries/getSlaBreaches.ts) both count with it. The expressions are column names of the query, not
 * values from a request.
 */
export function slaStateSql(c: { status: string; occurredAt: string; latencyMs: string; threshold: string }, at: Date): Sql {
  return sql`multiIf(
    ${raw(c.status)} = 'posted' AND ${raw(c.latencyMs)} > ${raw(c.threshold)} * 60000, 'closed_breach',
    ${raw(c.status)} = 'posted', 'met',
    dateDiff('millisecond', ${raw(c.occurredAt)}, ${param('at', "DateTime64(3, 'UTC')", chTime(at))}) > ${raw(c.threshold)} * 60000, 'open_breach',
    'open')`;
}

/** The plant overrides in force at `at`: (plant, flow, policy_minutes). */
export function policySql(at: Date): Sql {
  return sql`SELECT plant, flow, argMax(threshold_minutes, changed_at) AS policy_minutes
  FROM sla_policies
  WHERE changed_at <= ${param('at', "DateTime64(3, 'UTC')", chTime(at))}
  GROUP BY plant, flow`;
}

/**
 * The overrides in force at `at` joined to `alias`'s (plant, flow), for thresholdSql(`${alias}.flow`): a
 * rollup table's rows (queries/kpiRollup.ts, queries/getSlaBreaches.ts).
 */
export function policyJoinSql(alias: string, at: Date): Sql {
  return sql`LEFT JOIN (${policySql(at)}) AS policy ON policy.plant = ${raw(alias)}.plant AND policy.flow = ${raw(alias)}.flow`;
}

/**
 * SELECT … one row per transaction with: correlation_id, plant, flow, occurred_at, status,
 * first_reported_at, last_reported_at, first_posted_at, attempts, events, posted_events,
 * attempt1_status, order_no, material, lot, document_no, error_code, error_category, error_message,
 * recoverable, exception_since, latency_ms, threshold_minutes and sla_state ('met'|'closed_breach'|
 * 'open_breach'|'open'; unless `sla: false`), state ('open'|'acknowledged'|'assigned'|'resolved' for exceptions, '' else),
 * assignee, last_action_at (latest acknowledge/assign/resolve/reopen; epoch when none).
 */
export function transactionsSql(f: Filters, scope: Scope, extra?: Sql, opts: { sla?: boolean; actions?: Sql } = {}): Sql {
  // without `sla` (views that show no SLA figure) the threshold, sla_state and the policy join are left out
  const sla = opts.sla ?? true;
  const at = param('at', "DateTime64(3, 'UTC')", chTime(f.at));
  return sql`
SELECT
  t.correlation_id AS correlation_id, t.tx_plant AS plant, t.tx_flow AS flow, t.tx_occurred_at AS occurred_at,
  t.current_status AS status, t.first_reported_at AS first_reported_at, t.last_reported_at AS last_reported_at,
  if(t.posted_events > 0, t.first_posted, NULL) AS first_posted_at,
  t.attempts AS attempts, t.events AS events, t.posted_events AS posted_events, t.attempt1_status AS attempt1_status,
  t.tx_order_no AS order_no, t.tx_material AS material, t.tx_lot AS lot, t.tx_document_no AS document_no,
  tupleElement(t.tx_error, 1) AS error_code, tupleElement(t.tx_error, 2) AS error_category, tupleElement(t.tx_error, 3) AS error_message,
  tupleElement(t.tx_error, 4) AS recoverable,
  if(t.current_status = 'failed', arrayMin(arrayFilter(x -> (x, 2) > t.last_ok, t.failed_times)), NULL) AS exception_since,
  if(t.current_status = 'posted', dateDiff('millisecond', t.tx_occurred_at, t.first_posted), NULL) AS latency_ms,
${sla ? sql`  ${thresholdSql()} AS threshold_minutes,
  ${slaStateSql({ status: 't.current_status', occurredAt: 't.tx_occurred_at', latencyMs: "dateDiff('millisecond', t.tx_occurred_at, t.first_posted)", threshold: 'threshold_minutes' }, f.at)} AS sla_state,
` : sql``}  if(t.current_status != 'failed', '',
     if(actions.last_state_at >= exception_since AND actions.last_state_at > toDateTime64(0, 3, 'UTC'),
        multiIf(actions.last_state = 'resolve', 'resolved', actions.last_state = 'assign', 'assigned', actions.last_state = 'acknowledge', 'acknowledged', 'open'),
        'open')) AS state,
  if(t.current_status = 'failed' AND actions.assigned_at >= exception_since, actions.last_assignee, '') AS assignee,
  actions.last_state_at AS last_action_at
FROM
(
  SELECT
    correlation_id,
    any(plant) AS tx_plant,
    any(flow) AS tx_flow,
    min(occurred_at) AS tx_occurred_at,
    argMax(status, (reported_at, ${RANK})) AS current_status,
    min(reported_at) AS first_reported_at,
    max(reported_at) AS last_reported_at,
    minIf(reported_at, status = 'posted') AS first_posted,
    max(attempt) AS attempts,
    uniqExact(event_id) AS events,
    uniqExactIf(event_id, status = 'posted') AS posted_events,
    argMaxIf(status, (reported_at, ${RANK}), attempt = 1) AS attempt1_status,
    anyIf(order_no, order_no != '') AS tx_order_no,
    anyIf(material, material != '') AS tx_material,
    anyIf(lot, lot != '') AS tx_lot,
    argMaxIf(document_no, reported_at, document_no != '') AS tx_document_no,
    -- the latest failed event's error, all fields from that one event
    argMaxIf((error_code, error_category, error_message, error_recoverable), (reported_at, ${RANK}), status = 'failed') AS tx_error,
    maxIf((reported_at, ${RANK}), status != 'failed') AS last_ok,
    groupArrayIf(reported_at, status = 'failed') AS failed_times
  FROM postings
  WHERE ${extra ? sql`${postingConditions(f, scope)} AND ${extra}` : postingConditions(f, scope)}
  GROUP BY correlation_id
) AS t
${sla ? sql`LEFT JOIN
(
  ${policySql(f.at)}
) AS policy ON policy.plant = t.tx_plant AND policy.flow = t.tx_flow
` : sql``}LEFT JOIN
(
  SELECT
    correlation_id,
    argMaxIf(action, at, action IN ('acknowledge', 'assign', 'resolve', 'reopen')) AS last_state,
    maxIf(at, action IN ('acknowledge', 'assign', 'resolve', 'reopen')) AS last_state_at,
    argMaxIf(assignee, at, action = 'assign') AS last_assignee,
    maxIf(at, action = 'assign') AS assigned_at
  FROM exception_actions
  WHERE at <= ${at}${actionConditions(f, scope, opts.actions)}
  GROUP BY correlation_id
) AS actions ON actions.correlation_id = t.correlation_id`;
}

/**
 * The actions that can belong to the selected transactions: those of the filtered plants and flows (an
 * action carries its transaction's plant and flow), and `extra` (drill-down: the one correlation id,
 * a point lookup in exception_actions' sort key), rather than every action ever taken.
 */
function actionConditions(f: Filters, scope: Scope, extra?: Sql): Sql {
  const parts = keyConditions({ ...f, flows: [] }, scope);
  // actions stored before migration 009 have no flow
  if (f.flows.length) parts.push(sql`(flow IN ${param('flows', 'Array(String)', f.flows)} OR flow = '')`);
  if (extra) parts.push(extra);
  return parts.reduce((a, c) => sql`${a} AND ${c}`, sql``);
}

/** Bucket label for an age in seconds (CONTRACT §3: <1h, 1-4h, 4-24h, 1-3d, >3d). */
export const AGE_BUCKET_SQL = raw(
  `multiIf(age_seconds < 3600, '<1h', age_seconds < 14400, '1-4h', age_seconds < 86400, '4-24h', age_seconds < 259200, '1-3d', '>3d')`,
);
