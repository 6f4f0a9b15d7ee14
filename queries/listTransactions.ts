// The transactions behind a count (the overview's "11 transactions", "3 pending", a ratio's
// denominator, a flow cell's volume): the selected transactions as they stood at `at`, newest first (or
// slowest first: a latency percentile's rows), narrowed by current status, SLA state, first-pass outcome
// or material, or the ones behind a part of an inventory variance. Same per-transaction rows as every
// other view. The common lists find their page from the KPI rollup (pageByHours, pageBySlowest).
import { z } from 'zod';
import { param, queryRows, raw, sql, type Raw, type Sql, type Store } from '../clickhouse/client';
import { STATUSES } from '../lib/contract';
import { SLA_STATES } from '../lib/sla';
import { isoFromCh, keyConditions, oneOrMore, pageLimitSql, pageOf, postingConditions, type Filters, type Scope } from './filters';
import { inventoryTransactionsSql } from './inventory';
import { kpiSourceSql, planKpi } from './kpiRollup';
import { transactionsSql } from './transactions';

export const transactionListParams = z.object({
  /** one status or several, comma-separated (`posted,failed`: the finished ones, a success ratio's denominator) */
  status: oneOrMore(STATUSES).optional(),
  /** one SLA state or several (`met,closed_breach,open_breach`: what SLA compliance counts) */
  sla: oneOrMore(SLA_STATES).optional(),
  /** finished transactions (posted or failed) whose attempt 1 ended posted (true) or not (false) */
  first_pass: z.enum(['true', 'false']).optional(),
  material: z.string().trim().min(1).max(128).optional(),
  /**
   * The transactions behind a part of the inventory variance (CONTRACT §3) at `at` as the cut-off: the
   * ERP-bound ones with a stock effect that were pending or failed then, or that the ERP posted more than
   * once; with the key's storage location and lot (and the plant and material filters) they are the rows
   * behind one variance row's figure.
   */
  explains: z.enum(['pending', 'failed', 'duplicate']).optional(),
  storage_location: z.string().max(128).optional(),
  lot: z.string().max(128).optional(),
  /** `occurred`: newest first; `latency`: slowest posting first (the rows behind a latency percentile) */
  sort: z.enum(['occurred', 'latency']).optional(),
}).refine((p) => p.explains || (p.storage_location === undefined && p.lot === undefined), {
  message: 'storage_location and lot narrow an inventory key: they go with explains',
  path: ['explains'],
});
export type TransactionListParams = z.infer<typeof transactionListParams>;

export type TransactionListItem = {
  correlation_id: string;
  plant: string;
  flow: string;
  status: string;
  occurred_at: string;
  last_reported_at: string;
  attempts: number;
  order_no: string;
  material: string;
  lot: string;
  document_no: string;
  error_category: string;
  latency_ms: number | null;
  threshold_minutes: number;
  sla_state: string;
  first_pass: boolean | null;
  /*
   * Only behind a part of an inventory variance (`explains`): the transaction's status at the cut-off
   * (what the part counts; `status` is its status at `at`), and what it adds to that part (the variance
   * row's explained_pending, explained_failed or explained_duplicate) in its own unit, explained_uom (the
   * variance converts it to the ERP's): its stock_delta when pending or failed; for a duplicate, minus
   * what the ERP posted beyond its first posting (the ERP took a −1.5 KG shipment twice: +1.5 KG).
   */
  status_at_cutoff?: string;
  explained_qty?: number;
  explained_uom?: string;
};

/**
 * The correlation ids behind an explained part of the variance (p.explains), from the same rows it sums:
 * the plant scope on the events, then the key on each transaction's own (tx_) parts, as the variance
 * groups them.
 */
function explainingSql(f: Filters, scope: Scope, p: TransactionListParams): Sql {
  const key: Sql[] = [sql`1`];
  if (p.material) key.push(sql`tx_material = ${param('material', 'String', p.material)}`);
  if (p.storage_location !== undefined) key.push(sql`tx_storage_location = ${param('storage_location', 'String', p.storage_location)}`);
  if (p.lot !== undefined) key.push(sql`tx_lot = ${param('lot', 'String', p.lot)}`);
  key.push(p.explains === 'duplicate' ? sql`posted_again != 0` : sql`status_at_cutoff = ${param('explains', 'String', p.explains)} AND delta != 0`);
  const events = keyConditions({ ...f, flows: [] }, scope).reduce((a, c) => sql`${a} AND ${c}`, sql`1`);
  // its part of the figure, in its own unit: the stock effect when pending or failed; for a duplicate,
  // minus what the ERP posted beyond the first posting (as EXPLAINED_SUMS sums it)
  const effect = p.explains === 'duplicate' ? sql`-posted_again` : sql`delta`;
  return sql`SELECT correlation_id, status_at_cutoff, ${effect} AS explained_qty, tx_uom AS explained_uom
FROM (${inventoryTransactionsSql(f.at, events)}) WHERE ${key.reduce((a, c) => sql`${a} AND ${c}`)}`;
}

/** A list row's columns of transactionsSql, and the two orders a list comes in (total: the id breaks ties). */
const ROW_COLUMNS = raw(`correlation_id, plant, flow, status, occurred_at, last_reported_at, attempts, order_no, material, lot, document_no,
       error_category, latency_ms, threshold_minutes, sla_state, attempt1_status`);
const NEWEST_FIRST = raw('occurred_at DESC, correlation_id ASC');
const SLOWEST_FIRST = raw('latency_ms DESC NULLS LAST, occurred_at DESC, correlation_id ASC');

/** One page (limit + 1 rows, pageLimitSql) of transactionsSql rows `source` that meet `where`, in `order`. */
function pageRows(store: Store, source: Sql, where: Sql, order: Raw, page: Pick<Filters, 'offset' | 'limit'>): Promise<Record<string, string | number | null>[]> {
  return queryRows(store, 'listTransactions.page', sql`SELECT ${ROW_COLUMNS} FROM (${source}) WHERE ${where} ORDER BY ${order} ${pageLimitSql(page)}`);
}

/** The condition on transactionsSql rows that a list's own parameters set (besides `explains`). */
export function listConditions(p: TransactionListParams): Sql {
  const conditions: Sql[] = [sql`1`];
  if (p.status) conditions.push(sql`status IN ${param('status', 'Array(String)', p.status)}`);
  if (p.sla) conditions.push(sql`sla_state IN ${param('sla', 'Array(String)', p.sla)}`);
  if (p.first_pass) {
    conditions.push(sql`status IN ('posted', 'failed')`);
    conditions.push(p.first_pass === 'true' ? sql`attempt1_status = 'posted'` : sql`attempt1_status != 'posted'`);
  }
  if (p.material) conditions.push(sql`material = ${param('material', 'String', p.material)}`);
  return conditions.reduce((a, c) => sql`${a} AND ${c}`);
}

/**
 * How many of a plant × flow × hour's transactions a list selects, from the KPI source's counts
 * (kpiSourceSql), when its filters are one of those counts: none, statuses, first pass, or SLA states
 * (met: posted within the threshold; the rest of the posted are late; open breaches; the rest of the
 * not-posted are open). Null when they are not (several narrowed at once, a material, a variance's part).
 */
export function selectedCountSql(p: TransactionListParams): Raw | null {
  if (p.material || p.explains || [p.status, p.sla, p.first_pass].filter(Boolean).length > 1) return null;
  const SLA: Record<(typeof SLA_STATES)[number], string> = {
    met: 'n_sla_met',
    closed_breach: '(n_posted - n_sla_met)',
    open_breach: 'n_open_breaches',
    open: '(n_transactions - n_posted - n_open_breaches)',
  };
  const STATUS: Record<(typeof STATUSES)[number], string> = { posted: 'n_posted', failed: 'n_failed', pending: 'n_pending' };
  const terms = p.status
    ? p.status.map((s) => STATUS[s])
    : p.sla
      ? p.sla.map((s) => SLA[s])
      : p.first_pass
        ? [p.first_pass === 'true' ? 'n_first_pass' : '(n_posted + n_failed - n_first_pass)']
        : ['n_transactions'];
  return raw(terms.map((t) => `toInt64(${t})`).join(' + '));
}

/**
 * Newest first, the page is found from each hour's count (the KPI rollup's, the same counts the
 * overview shows, raw where it may not answer): the hours that hold rows offset … offset + limit are the
 * only ones read raw, and the total is the counts' sum. A week of transactions is ≈ 400,000; grouping
 * them all for one page of 100 took ≈ 700 ms here, a page is ≈ one hour's. Null when the counts cannot
 * say (selectedCountSql) or the rollup answers for no hour.
 */
export async function pageByHours(store: Store, f: Filters, scope: Scope, p: TransactionListParams, where: Sql): Promise<{ rows: Record<string, string | number | null>[]; total: number } | null> {
  const selected = selectedCountSql(p);
  if (!selected || p.sort === 'latency') return null;
  const plan = await planKpi(store, f, scope);
  if (plan.allRaw) return null;
  const hours = await queryRows<{ hour: string; n: string }>(
    store,
    'listTransactions.hours',
    sql`SELECT hour, toString(sum(${selected})) AS n FROM (${kpiSourceSql(f, scope, plan, { byHour: true })}) GROUP BY hour HAVING sum(${selected}) > 0 ORDER BY hour DESC`,
  );
  const counts = hours.map((h) => ({ start: Date.parse(`${h.hour.replace(' ', 'T')}Z`), n: Number(h.n) }));
  const total = counts.reduce((t, h) => t + h.n, 0);
  // the newest hour with a row at or past `offset`, then back to the hour that holds row offset + limit
  // (the one more that says whether a next page exists)
  let before = 0;
  let first = 0;
  while (first < counts.length && before + counts[first].n <= f.offset) before += counts[first++].n;
  if (first === counts.length) return { rows: [], total };
  let last = first;
  let through = before + counts[first].n;
  while (last + 1 < counts.length && through < f.offset + f.limit + 1) through += counts[++last].n;
  const window: Filters = {
    ...f,
    from: new Date(Math.max(f.from.getTime(), counts[last].start)),
    to: new Date(Math.min(f.to.getTime(), counts[first].start + 3600_000)),
  };
  const rows = await pageRows(store, transactionsSql(window, scope), where, NEWEST_FIRST, { offset: f.offset - before, limit: f.limit });
  // the counts promised this many: any other number (a transaction whose events disagree on its hour,
  // plant or flow, which the contract rules out; an event stored between the two statements) and the
  // caller reads the list raw
  if (rows.length !== Math.min(f.limit + 1, through - f.offset)) return null;
  return { rows, total };
}

/**
 * Slowest first, the posted transactions' page is found from the latencies the KPI source holds (the
 * rollup's per hour, raw where it may not answer): the (offset + limit + 1)-th largest is a bound every
 * transaction of the page reaches, and only transactions with a posted event at least that late after
 * occurred_at are grouped. A transaction's latency is its first posted event's, and occurred_at is the
 * same on every event of a transaction (CONTRACT §1), so none of the page is left out. Null unless the
 * list is the posted transactions alone, or when the rollup answers for no hour.
 */
export async function pageBySlowest(store: Store, f: Filters, scope: Scope, p: TransactionListParams, where: Sql): Promise<{ rows: Record<string, string | number | null>[]; total: number } | null> {
  if (p.sort !== 'latency' || p.status?.length !== 1 || p.status[0] !== 'posted' || selectedCountSql(p) === null) return null;
  const plan = await planKpi(store, f, scope);
  if (plan.allRaw) return null;
  const nth = param('nth_slowest', 'UInt64', f.offset + f.limit + 1);
  const [bound] = await queryRows<{ total: string; slowest: string }>(
    store,
    'listTransactions.slowest',
    sql`SELECT total, if(length(all_latencies) >= ${nth}, toString(arrayPartialReverseSort(${nth}, all_latencies)[${nth}]), '') AS slowest
FROM (SELECT toString(sum(n_posted)) AS total, groupArrayArray(latencies) AS all_latencies FROM (${kpiSourceSql(f, scope, plan)}))`,
  );
  // fewer posted than the pages so far: every posted transaction may be on this one (latencies can be
  // negative when the systems' clocks disagree)
  const late =
    bound.slowest === ''
      ? undefined
      : sql`correlation_id IN (SELECT correlation_id FROM postings WHERE ${postingConditions(f, scope)} AND status = 'posted'
    AND dateDiff('millisecond', occurred_at, reported_at) >= ${param('slowest', 'Int64', bound.slowest)})`;
  const rows = await pageRows(store, transactionsSql(f, scope, late), where, SLOWEST_FIRST, f);
  const total = Number(bound.total);
  if (rows.length !== Math.max(0, Math.min(f.limit + 1, total - f.offset))) return null;
  return { rows, total };
}

export async function listTransactions(
  store: Store,
  f: Filters,
  scope: Scope,
  p: TransactionListParams,
  opts: { rollups?: boolean } = {},
): Promise<{ items: TransactionListItem[]; total: number; next_cursor: string | null }> {
  const where = listConditions(p);
  // behind a part of a variance: each transaction's part beside it (status at the cut-off, stock effect)
  const explaining = p.explains ? explainingSql(f, scope, p) : null;
  const fromRollup = opts.rollups === false ? null : ((await pageByHours(store, f, scope, p, where)) ?? (await pageBySlowest(store, f, scope, p, where)));
  const selected = sql`
FROM (${transactionsSql(f, scope, explaining ? sql`correlation_id IN (SELECT correlation_id FROM (${explaining}))` : undefined)}) AS t
${explaining ? sql`INNER JOIN (${explaining}) AS e USING (correlation_id)` : sql``}
WHERE ${where}`;
  const rows = fromRollup?.rows ?? await queryRows<Record<string, string | number | null>>(
    store,
    'listTransactions',
    sql`
SELECT ${ROW_COLUMNS},
       ${explaining ? sql`e.status_at_cutoff, toString(e.explained_qty) AS explained_qty, e.explained_uom,` : sql``} count() OVER () AS total
${selected}
ORDER BY ${p.sort === 'latency' ? SLOWEST_FIRST : NEWEST_FIRST}
${pageLimitSql(f)}`,
  );
  // a page past the last row has no row to carry the total: counted on its own
  const total = fromRollup
    ? fromRollup.total
    : rows.length
      ? Number(rows[0].total)
      : f.offset === 0
        ? 0
        : Number((await queryRows<{ n: string }>(store, 'listTransactions.total', sql`SELECT toString(count()) AS n ${selected}`))[0].n);
  const items = rows.map((r) => ({
    correlation_id: String(r.correlation_id),
    plant: String(r.plant),
    flow: String(r.flow),
    status: String(r.status),
    occurred_at: isoFromCh(String(r.occurred_at))!,
    last_reported_at: isoFromCh(String(r.last_reported_at))!,
    attempts: Number(r.attempts),
    order_no: String(r.order_no),
    material: String(r.material),
    lot: String(r.lot),
    document_no: String(r.document_no),
    error_category: r.status === 'failed' ? String(r.error_category) : '',
    latency_ms: r.latency_ms === null ? null : Number(r.latency_ms),
    threshold_minutes: Number(r.threshold_minutes),
    sla_state: String(r.sla_state),
    first_pass: r.status === 'pending' ? null : r.attempt1_status === 'posted',
    ...(explaining ? { status_at_cutoff: String(r.status_at_cutoff), explained_qty: Number(r.explained_qty), explained_uom: String(r.explained_uom) } : {}),
  }));
  return { ...pageOf(f, items), total };
}
