// The KPI figures per plant × flow that the overview, the flow matrix and the latency view aggregate,
// read from the hourly rollup (kpi_hourly, migration 009) wherever it may be trusted and from raw
// postings elsewhere: one set of rows either way, so a figure is the same whichever path served it.
//
// A rollup row for (plant, flow, hour) is trusted for a request when
//   - it was built from every change that hour has seen (its `changes` equals kpi_changes now), and
//   - no event or action it counts happened after `at` (max_reported_at, max_action_at ≤ at).
// What depends on `at` and on the SLA threshold in force then is counted at read time from the row:
// posted within threshold from its latencies, open breaches from its not-posted occurred_at times.
// Partial hours at the edges of [from, to) and every untrusted hour are read raw through
// queries/transactions.ts, the one place the CONTRACT §3 definitions live; the rollup builder
// (ingest/rollups.ts) builds rows with the same definitions (buildRollupSql below).
import { TupleParam } from '@clickhouse/client';
import { param, queryRows, raw, sql, withSettings, type Sql, type Store } from '../clickhouse/client';
import { chTime, joinSql, keyConditions, type Filters, type Scope } from './filters';
import { EXPLAINED_SUMS, INVENTORY_KEY, inventoryTransactionsSql } from './inventory';
import { MIN_SLA_MINUTES } from '../lib/sla';
import { policyJoinSql, thresholdSql, transactionsSql } from './transactions';

const HOUR_MS = 3600_000;
/** The rollup is built as of "the end of time": every event and action there is, latest SLA policy. */
export const BUILD_AT = new Date('2299-01-01T00:00:00Z');
/**
 * What a build holds: 1 = KPI figures, inventory effects (inventory_hourly) and exceptions (migration 012);
 * 2 = the inventory effects in the kpi_hourly row itself (migration 013); 3 = and the SLA breach
 * candidates (sla_hourly, migration 014). Rows of any other version (a builder of an older release) are
 * never trusted.
 */
export const ROLLUP_VERSION = 3;
/**
 * What a read through trustedHoursSql runs with (the fragment carries it): its untrusted-key test is
 * costly (a tuple of strings per row: ≈ 50 ms over 600,000 rows) and is written to run only on rows of
 * an hour that has untrusted keys, which takes short-circuit evaluation of every function (the
 * default skips it for `in`).
 */
const ROLLUP_READ_SETTINGS = { short_circuit_function_evaluation: 'force_enable' } as const;
/** More untrusted hours than this in a range, and the whole range is read raw. */
export const MAX_RAW_KEYS = 4000;

/** Columns every KPI source row has: n_* are counts to sum, `latencies` the posted transactions' latencies (ms), `threshold` the SLA minutes in force at `at`. */
export type KpiColumns = 'n_transactions' | 'n_posted' | 'n_failed' | 'n_pending' | 'n_first_pass' | 'n_sla_met' | 'n_open_breaches' | 'n_open_exceptions' | 'latencies' | 'threshold';

/** ClickHouse DateTime text ('YYYY-MM-DD HH:MM:SS') of an hour. */
const hourText = (ms: number) => chTime(new Date(ms)).slice(0, 19);

export type KpiPlan = {
  /** whole hours [from, to) read from the rollup, apart from rawKeys; null when none */
  hours: { from: string; to: string } | null;
  /** untrusted (plant, flow, hour) keys inside `hours`, read raw */
  rawKeys: [string, string, string][];
  /** true when the whole range is read raw */
  allRaw: boolean;
};

/** The request's plant and flow filters and the viewer's plant scope on a rollup table's key columns. */
export function keyFilters(f: Filters, scope: Scope, table: string): Sql {
  return joinSql([sql`1`, ...keyConditions(f, scope, table)], ' AND ');
}

/**
 * The rows of a rollup table (kpi_hourly, or one built with it) that a plan lets the rollup answer: its
 * whole hours, the request's plants and flows, not the untrusted keys.
 * Tables built with kpi_hourly are read through builtRowsSql.
 */
export function trustedHoursSql(table: string, f: Filters, scope: Scope, plan: KpiPlan & { hours: { from: string; to: string } }): Sql {
  return withSettings(sql`${raw(table)}.hour >= ${param('rollup_from', "DateTime('UTC')", plan.hours.from)} AND ${raw(table)}.hour < ${param('rollup_to', "DateTime('UTC')", plan.hours.to)}
  AND ${keyFilters(f, scope, table)}
  AND (${raw(table)}.hour NOT IN ${param('raw_hours', "Array(DateTime('UTC'))", [...new Set(plan.rawKeys.map((k) => k[2]))])}
       OR (plant, flow, hour) NOT IN ${param('raw_keys', "Array(Tuple(String, String, DateTime('UTC')))", plan.rawKeys.map((k) => new TupleParam(k)))})`,
    ROLLUP_READ_SETTINGS,
  );
}

/** Decide which whole hours of the range the rollup may serve for this request. */
export async function planKpi(store: Store, f: Filters, scope: Scope, opts: { rollups?: boolean } = {}): Promise<KpiPlan> {
  const first = Math.ceil(f.from.getTime() / HOUR_MS) * HOUR_MS;
  const last = Math.floor(f.to.getTime() / HOUR_MS) * HOUR_MS;
  if (opts.rollups === false || first >= last) return { hours: null, rawKeys: [], allRaw: true };
  const hours = { from: hourText(first), to: hourText(last) };
  const at = param('at', "DateTime64(3, 'UTC')", chTime(f.at));
  const range = (table: string) =>
    sql`${raw(table)}.hour >= ${param('rollup_from', "DateTime('UTC')", hours.from)} AND ${raw(table)}.hour < ${param('rollup_to', "DateTime('UTC')", hours.to)} AND ${keyFilters(f, scope, table)}`;
  // per key the change counter (kpi_changes FINAL sums it) against the newest build (kpi_hourly FINAL
  // keeps it), both read in their (hour, plant, flow) order and merged; a key missing on one side gets
  // '' / 0 / the epoch there (join_use_nulls = 0), so it is untrusted (never built, or its counter is gone),
  // and its key is taken from the side that has it
  const untrusted = await queryRows<{ k_plant: string; k_flow: string; k_hour: string }>(
    store,
    'planKpi',
    sql`
SELECT if(k.plant = '', r.hour, k.hour) AS k_hour, if(k.plant = '', r.plant, k.plant) AS k_plant, if(k.plant = '', r.flow, k.flow) AS k_flow
FROM (SELECT hour, plant, flow, changes FROM kpi_changes FINAL WHERE ${range('kpi_changes')}) AS k
FULL JOIN (SELECT hour, plant, flow, changes, max_reported_at, max_action_at, rollup_version FROM kpi_hourly FINAL WHERE ${range('kpi_hourly')}) AS r
  ON k.hour = r.hour AND k.plant = r.plant AND k.flow = r.flow
WHERE NOT (r.changes = k.changes AND r.max_reported_at <= ${at} AND r.max_action_at <= ${at}
           AND r.rollup_version = ${param('rollup_version', 'UInt8', ROLLUP_VERSION)})
LIMIT ${param('max_raw_keys', 'UInt32', MAX_RAW_KEYS + 1)}
SETTINGS join_algorithm = 'full_sorting_merge', join_use_nulls = 0`,
  ).then((rows) => rows.map((r) => ({ plant: r.k_plant, flow: r.k_flow, hour: r.k_hour })));
  // a key the join could not name (it never should): trust nothing rather than something unchecked
  if (untrusted.some((k) => k.plant === '')) return { hours: null, rawKeys: [], allRaw: true };
  if (untrusted.length > MAX_RAW_KEYS) return { hours: null, rawKeys: [], allRaw: true };
  return { hours, rawKeys: untrusted.map((k) => [k.plant, k.flow, k.hour]), allRaw: false };
}

/** A plan whose rollup hours are set: what rollupRows below is given. */
export type RollupPlan = KpiPlan & { hours: { from: string; to: string } };

/**
 * A view's rows by the plan: `rollupRows` for the hours the rollup may answer for, UNION ALL `rawRows`
 * restricted to the rest (the partial hours at the edges and the untrusted hours; rawRestriction), or
 * `rawRows` alone when the plan reads everything raw. Both must give the same columns.
 */
export function rollupOrRawSql(f: Filters, plan: KpiPlan, rollupRows: (plan: RollupPlan) => Sql, rawRows: (restriction?: Sql) => Sql): Sql {
  const restriction = rawRestriction(f, plan);
  if (restriction === 'all' || !plan.hours) return rawRows();
  const rollup = rollupRows({ ...plan, hours: plan.hours });
  if (restriction === 'none') return rollup;
  return sql`${rollup}
UNION ALL
${rawRows(restriction)}`;
}

/**
 * Rows of the KPI columns per plant × flow (several rows per pair: sum the n_* counts, take
 * quantilesExactArray(0.5, 0.95, 0.99) of `latencies`) for the transactions the filters select, as of `at`.
 */
export async function kpiSource(store: Store, f: Filters, scope: Scope, opts: { rollups?: boolean } = {}): Promise<Sql> {
  const plan = await planKpi(store, f, scope, opts);
  return kpiSourceSql(f, scope, plan);
}

/** `byHour`: the rows also carry `hour` (of the transaction's occurred_at), and raw rows are grouped by it too. */
export function kpiSourceSql(f: Filters, scope: Scope, plan: KpiPlan, opts: { byHour?: boolean } = {}): Sql {
  const at = param('at', "DateTime64(3, 'UTC')", chTime(f.at));
  const hour = opts.byHour ? raw(', hour') : raw('');
  // raw: the partial hours at the edges and the untrusted whole hours (or everything)
  const rawPart = (extra?: Sql) => sql`
SELECT plant, flow${opts.byHour ? raw(', toStartOfHour(occurred_at) AS hour') : raw('')}, count() AS n_transactions, countIf(status = 'posted') AS n_posted, countIf(status = 'failed') AS n_failed,
       countIf(status = 'pending') AS n_pending, countIf(status IN ('posted', 'failed') AND attempt1_status = 'posted') AS n_first_pass,
       countIf(sla_state = 'met') AS n_sla_met, countIf(sla_state = 'open_breach') AS n_open_breaches,
       countIf(status = 'failed' AND state != 'resolved') AS n_open_exceptions,
       groupArrayIf(assumeNotNull(latency_ms), status = 'posted') AS latencies,
       toUInt32(any(threshold_minutes)) AS threshold
FROM (${transactionsSql(f, scope, extra)})
GROUP BY plant, flow${hour}`;
  // what depends on `at` and its SLA threshold is counted here, as the raw rows count it
  const rollupPart = (rollupPlan: RollupPlan) => sql`
SELECT plant, flow${hour}, transactions AS n_transactions, posted AS n_posted, failed AS n_failed, pending AS n_pending,
       first_pass AS n_first_pass, toUInt64(arrayCount(l -> l <= threshold * 60000, latencies)) AS n_sla_met,
       toUInt64(arrayCount(x -> dateDiff('millisecond', x, ${at}) > threshold * 60000, not_posted_occurred)) AS n_open_breaches,
       open_exceptions AS n_open_exceptions, latencies, threshold
FROM
(
  SELECT r.*, toUInt32(${thresholdSql('r.flow')}) AS threshold
  FROM (
    SELECT * FROM kpi_hourly FINAL
    WHERE ${trustedHoursSql('kpi_hourly', f, scope, rollupPlan)}
  ) AS r
  ${policyJoinSql('r', f.at)}
)`;
  return rollupOrRawSql(f, plan, rollupPart, rawPart);
}

/**
 * The rows of a table built with the KPI rollup (exceptions_hourly, sla_hourly: one row per transaction,
 * ReplacingMergeTree(built_at)) that count in a plan's trusted hours, with the table's own columns:
 * FINAL keeps each transaction's newest row, and a row counts when its build is the hour's trusted
 * kpi_hourly build (kpi_hourly FINAL) or newer. Rows an older build left behind (a transaction no longer
 * failed, say) never count, nor rows of a build whose kpi_hourly row is not written yet; and a build of
 * the same counter that a second builder is writing (its rows replace the trusted build's on merge
 * before its own kpi_hourly row lands) counts in their place, so no transaction goes missing meanwhile.
 * A newer build of another counter cannot be met here: its hour is then untrusted (planKpi).
 */
export function builtRowsSql(table: 'exceptions_hourly' | 'sla_hourly', f: Filters, scope: Scope, plan: RollupPlan): Sql {
  return sql`SELECT b.*
FROM (SELECT * FROM ${raw(table)} FINAL WHERE ${trustedHoursSql(table, f, scope, plan)}) AS b
INNER JOIN (
  SELECT plant, flow, hour, built_at FROM kpi_hourly FINAL
  WHERE kpi_hourly.hour >= ${param('rollup_from', "DateTime('UTC')", plan.hours.from)} AND kpi_hourly.hour < ${param('rollup_to', "DateTime('UTC')", plan.hours.to)} AND ${keyFilters(f, scope, 'kpi_hourly')}
) AS k ON b.plant = k.plant AND b.flow = k.flow AND b.hour = k.hour
WHERE b.built_at >= k.built_at`;
}

/**
 * The condition on postings that keeps the events a plan leaves to raw rows: the partial hours at the
 * range's edges and the untrusted hours, each as a narrow occurred_at window (postings' sort key has
 * the hour). 'all' when the plan reads everything raw, 'none' when it reads nothing raw.
 */
export function rawRestriction(f: Filters, plan: KpiPlan): Sql | 'all' | 'none' {
  if (plan.allRaw || !plan.hours) return 'all';
  const windows = rawWindows(f, plan);
  if (windows.length === 0) return 'none';
  const from = param('rollup_from', "DateTime('UTC')", plan.hours.from);
  const to = param('rollup_to', "DateTime('UTC')", plan.hours.to);
  const rawKeys = param('raw_keys', "Array(Tuple(String, String, DateTime('UTC')))", plan.rawKeys.map((k) => new TupleParam(k)));
  const inWindows = joinSql(
    windows.map(([a, b], i) => sql`(occurred_at >= ${param(`raw_from_${i}`, "DateTime64(3, 'UTC')", chTime(a))} AND occurred_at < ${param(`raw_to_${i}`, "DateTime64(3, 'UTC')", chTime(b))})`),
    ' OR ',
  );
  return sql`(${inWindows}) AND (occurred_at < ${from} OR occurred_at >= ${to} OR (plant, flow, toStartOfHour(occurred_at)) IN ${rawKeys})`;
}

/** The occurred_at windows read raw: the partial hours at the edges, and runs of untrusted hours (merged). */
function rawWindows(f: Filters, plan: KpiPlan): [Date, Date][] {
  const first = Date.parse(`${plan.hours!.from.replace(' ', 'T')}Z`);
  const last = Date.parse(`${plan.hours!.to.replace(' ', 'T')}Z`);
  const spans: [number, number][] = [];
  if (f.from.getTime() < first) spans.push([f.from.getTime(), first]);
  if (last < f.to.getTime()) spans.push([last, f.to.getTime()]);
  for (const h of new Set(plan.rawKeys.map((k) => Date.parse(`${k[2].replace(' ', 'T')}Z`)))) spans.push([h, h + HOUR_MS]);
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of spans) {
    const top = merged[merged.length - 1];
    if (top && a <= top[1]) top[1] = Math.max(top[1], b);
    else merged.push([a, b]);
  }
  // many scattered hours: one window from the first to the last is cheaper to write than hundreds of ORs
  const windows = merged.length > 64 ? [[merged[0][0], merged[merged.length - 1][1]] as [number, number]] : merged;
  return windows.map(([a, b]) => [new Date(a), new Date(b)]);
}

/**
 * The rollup rows to rebuild: keys whose kpi_changes moved on since their newest build (or whose newest
 * build is of another rollup version), newest hours
 * first, and only those whose counter has been still for `settleMs` (an INSERT may make the counter
 * visible before the postings it counts; a settled counter's postings are all there).
 */
export async function staleRollupKeys(store: Store, limit: number, settleMs: number): Promise<{ plant: string; flow: string; hour: string; changes: string }[]> {
  return queryRows(
    store,
    'staleRollupKeys',
    sql`
SELECT c.plant AS plant, c.flow AS flow, c.hour AS hour, c.changes AS changes
FROM (SELECT plant, flow, hour, sum(changes) AS changes, max(last_change) AS last_change FROM kpi_changes GROUP BY plant, flow, hour) AS c
LEFT JOIN (SELECT plant, flow, hour, argMax(changes, built_at) AS r_changes, argMax(rollup_version, built_at) AS r_version FROM kpi_hourly GROUP BY plant, flow, hour) AS r
  ON r.plant = c.plant AND r.flow = c.flow AND r.hour = c.hour
WHERE (r.r_changes != c.changes OR r.r_version != ${param('rollup_version', 'UInt8', ROLLUP_VERSION)}) AND c.last_change <= now64(3, 'UTC') - toIntervalMillisecond(${param('settle_ms', 'UInt32', settleMs)})
ORDER BY c.hour DESC
LIMIT ${param('limit', 'UInt32', limit)}`,
  );
}

/**
 * INSERT … SELECT that rebuilds the given keys from raw postings, each with the kpi_changes count read
 * before this statement ran. Keys must lie within [from, to). The row holds the hour's inventory
 * effects too (migration 013); run buildExceptionsRollupSql and buildSlaRollupSql with the same `builtAt`
 * first: this row is what makes that build's exception and SLA rows count.
 */
export function buildRollupSql(keys: { plant: string; flow: string; hour: string; changes: string }[], from: Date, to: Date, builtAt: string): Sql {
  const f: Filters = { plants: [], flows: [], from, to, at: BUILD_AT, limit: 0, offset: 0 };
  const withChanges = param('keys', "Array(Tuple(String, String, DateTime('UTC'), UInt64))", keys.map((k) => new TupleParam([k.plant, k.flow, k.hour, k.changes])));
  const keyTuples = param('key_tuples', "Array(Tuple(String, String, DateTime('UTC')))", keys.map((k) => new TupleParam([k.plant, k.flow, k.hour])));
  const inRange = sql`occurred_at >= ${param('build_from', "DateTime64(3, 'UTC')", chTime(from))} AND occurred_at < ${param('build_to', "DateTime64(3, 'UTC')", chTime(to))}
    AND (plant, flow, toStartOfHour(occurred_at)) IN ${keyTuples}`;
  return sql`
INSERT INTO kpi_hourly (plant, flow, hour, built_at, rollup_version, changes, max_reported_at, max_action_at,
                        transactions, posted, failed, pending, first_pass, open_exceptions, not_posted_occurred, latencies,
                        inventory_keys, inventory_pending, inventory_failed, inventory_duplicate)
SELECT k.k_plant, k.k_flow, k.k_hour, ${param('built_at', "DateTime64(3, 'UTC')", builtAt)}, ${param('rollup_version', 'UInt8', ROLLUP_VERSION)},
       k.k_changes, a.r_max_reported, a.r_max_action,
       a.transactions, a.posted, a.failed, a.pending, a.first_pass, a.open_exceptions, a.not_posted_occurred, a.latencies,
       inv.i_keys, inv.i_pending, inv.i_failed, inv.i_duplicate
FROM
(
  SELECT tupleElement(key, 1) AS k_plant, tupleElement(key, 2) AS k_flow, tupleElement(key, 3) AS k_hour, tupleElement(key, 4) AS k_changes
  FROM (SELECT arrayJoin(${withChanges}) AS key)
) AS k
LEFT JOIN
(
  SELECT plant, flow, toStartOfHour(occurred_at) AS tx_hour,
         max(last_reported_at) AS r_max_reported, max(last_action_at) AS r_max_action,
         count() AS transactions, countIf(status = 'posted') AS posted, countIf(status = 'failed') AS failed,
         countIf(status = 'pending') AS pending, countIf(status IN ('posted', 'failed') AND attempt1_status = 'posted') AS first_pass,
         countIf(status = 'failed' AND state != 'resolved') AS open_exceptions,
         groupArrayIf(occurred_at, status != 'posted') AS not_posted_occurred,
         groupArrayIf(assumeNotNull(latency_ms), status = 'posted') AS latencies
  FROM (${transactionsSql(f, { plants: null }, sql`(plant, flow, toStartOfHour(occurred_at)) IN ${keyTuples}`, { sla: false })})
  GROUP BY plant, flow, tx_hour
) AS a ON a.plant = k.k_plant AND a.flow = k.k_flow AND a.tx_hour = k.k_hour
LEFT JOIN
(
  -- the inventory effects (queries/inventory.ts) per key, non-zero sums only, as parallel arrays
  SELECT tx_plant, tx_flow, tx_hour, groupArray(i_key) AS i_keys, groupArray(pending) AS i_pending,
         groupArray(failed) AS i_failed, groupArray(duplicate) AS i_duplicate
  FROM (
    SELECT tx_plant, tx_flow, tx_hour, ${INVENTORY_KEY} AS i_key, ${EXPLAINED_SUMS}
    FROM (${inventoryTransactionsSql(BUILD_AT, inRange)})
    GROUP BY tx_plant, tx_flow, tx_hour, i_key
    HAVING pending != 0 OR failed != 0 OR duplicate != 0
  )
  GROUP BY tx_plant, tx_flow, tx_hour
) AS inv ON inv.tx_plant = k.k_plant AND inv.tx_flow = k.k_flow AND inv.tx_hour = k.k_hour`;
}

/**
 * INSERT … SELECT of the given keys' exceptions (migration 012): the transactions whose current status is
 * failed once every event and action is in, as queries/transactions.ts defines them, tagged with `builtAt`.
 */
export function buildExceptionsRollupSql(keys: { plant: string; flow: string; hour: string }[], from: Date, to: Date, builtAt: string): Sql {
  const f: Filters = { plants: [], flows: [], from, to, at: BUILD_AT, limit: 0, offset: 0 };
  const keyTuples = param('key_tuples', "Array(Tuple(String, String, DateTime('UTC')))", keys.map((k) => new TupleParam([k.plant, k.flow, k.hour])));
  return sql`
INSERT INTO exceptions_hourly (plant, flow, hour, correlation_id, built_at, order_no, material, error_code, error_category, error_message,
                               recoverable, attempts, exception_since, state, assignee)
SELECT plant, flow, toStartOfHour(occurred_at), correlation_id, ${param('built_at', "DateTime64(3, 'UTC')", builtAt)}, order_no, material,
       error_code, error_category, error_message, recoverable, attempts, assumeNotNull(exception_since), state, assignee
FROM (${transactionsSql(f, { plants: null }, sql`(plant, flow, toStartOfHour(occurred_at)) IN ${keyTuples}`, { sla: false })})
WHERE status = 'failed'`;
}

/**
 * INSERT … SELECT of the given keys' SLA breach candidates (migration 014): the transactions not posted
 * once every event is in, and those posted later than the smallest threshold there can be
 * (MIN_SLA_MINUTES), as queries/transactions.ts defines them, tagged with `builtAt`. Whether one is a
 * breach is decided when it is read, with the threshold in force at the request's `at`.
 */
export function buildSlaRollupSql(keys: { plant: string; flow: string; hour: string }[], from: Date, to: Date, builtAt: string): Sql {
  const f: Filters = { plants: [], flows: [], from, to, at: BUILD_AT, limit: 0, offset: 0 };
  const keyTuples = param('key_tuples', "Array(Tuple(String, String, DateTime('UTC')))", keys.map((k) => new TupleParam([k.plant, k.flow, k.hour])));
  return sql`
INSERT INTO sla_hourly (plant, flow, hour, correlation_id, built_at, order_no, occurred_at, status, latency_ms)
SELECT plant, flow, toStartOfHour(occurred_at), correlation_id, ${param('built_at', "DateTime64(3, 'UTC')", builtAt)}, order_no, occurred_at, status, latency_ms
FROM (${transactionsSql(f, { plants: null }, sql`(plant, flow, toStartOfHour(occurred_at)) IN ${keyTuples}`, { sla: false })})
WHERE status != 'posted' OR latency_ms > ${param('min_sla_ms', 'UInt32', MIN_SLA_MINUTES * 60_000)}`;
}
