// ERP support's work queue (CONTRACT §4 /api/v1/exceptions): transactions whose current status is
// failed, oldest first, with their age, bucket, error category, recoverability and hand-set state,
// from the exceptions rollup where it may answer and raw rows elsewhere (exceptionRowsSql).
// `status=open` (default) leaves out exceptions resolved by hand; `all` keeps them.
import { z } from 'zod';
import { param, queryRows, raw, sql, type Sql, type Store } from '../clickhouse/client';
import { ERROR_CATEGORIES, FLOWS } from '../lib/contract';
import { AGING_BUCKETS, type AgingBucket } from '../lib/sla';
import { chTime, isoFromCh, oneOrMore, pageLimitSql, pageOf, type Filters, type Scope } from './filters';
import { builtRowsSql, planKpi, rollupOrRawSql } from './kpiRollup';
import { AGE_BUCKET_SQL, transactionsSql } from './transactions';

export const exceptionParams = z.object({
  status: z.enum(['open', 'all']).default('open'),
  /** one age bucket or several, comma-separated (`4-24h,1-3d,>3d`: open 4 hours or more) */
  aging: oneOrMore(AGING_BUCKETS.map((b) => b.bucket) as [AgingBucket, ...AgingBucket[]]).optional(),
  category: z.enum(ERROR_CATEGORIES).optional(),
  recoverable: z.enum(['true', 'false']).optional(),
});
export type ExceptionParams = z.infer<typeof exceptionParams>;

export type ExceptionItem = {
  correlation_id: string;
  flow: (typeof FLOWS)[number];
  plant: string;
  order_no: string;
  material: string;
  error_code: string;
  error_category: string;
  error_message: string;
  recoverable: boolean | null;
  attempts: number;
  first_failed_at: string;
  age_seconds: number;
  age_bucket: AgingBucket;
  state: 'open' | 'acknowledged' | 'assigned' | 'resolved';
  assignee: string;
};

/** The columns of an exception row, whichever path it comes from. */
const EXCEPTION_COLUMNS = raw(
  'correlation_id, flow, plant, order_no, material, error_code, error_category, error_message, recoverable, attempts, exception_since, state, assignee',
);

/**
 * The transactions whose current status at `at` is failed, for these filters: from the exceptions rollup
 * (migration 012) for the whole hours it may answer for at `at` (queries/kpiRollup.ts decides which), and
 * from raw rows through queries/transactions.ts for the rest. The same rows either way.
 */
export async function exceptionRowsSql(store: Store, f: Filters, scope: Scope, opts: { rollups?: boolean } = {}): Promise<Sql> {
  return rollupOrRawSql(
    f,
    await planKpi(store, f, scope, opts),
    (plan) => sql`SELECT ${EXCEPTION_COLUMNS} FROM (${builtRowsSql('exceptions_hourly', f, scope, plan)})`,
    (restriction) => sql`SELECT ${EXCEPTION_COLUMNS} FROM (${transactionsSql(f, scope, restriction, { sla: false })}) WHERE status = 'failed'`,
  );
}

/** The exceptions of these filters as a subquery with age_seconds and age_bucket, for the views built on them. */
export async function exceptionsSql(store: Store, f: Filters, scope: Scope, p: ExceptionParams, opts: { rollups?: boolean } = {}): Promise<Sql> {
  const at = param('at', "DateTime64(3, 'UTC')", chTime(f.at));
  const conditions: Sql[] = [sql`1`];
  if (p.status === 'open') conditions.push(sql`state != 'resolved'`);
  if (p.category) conditions.push(sql`error_category = ${param('category', 'String', p.category)}`);
  if (p.recoverable) conditions.push(sql`recoverable = ${param('recoverable', 'Bool', p.recoverable === 'true')}`);
  const where = conditions.reduce((a, c) => sql`${a} AND ${c}`);
  const inner = sql`
SELECT *, intDiv(dateDiff('millisecond', exception_since, ${at}), 1000) AS age_seconds, ${AGE_BUCKET_SQL} AS age_bucket
FROM (${await exceptionRowsSql(store, f, scope, opts)})
WHERE ${where}`;
  return p.aging ? sql`SELECT * FROM (${inner}) WHERE age_bucket IN ${param('aging', 'Array(String)', p.aging)}` : inner;
}

type Row = Omit<ExceptionItem, 'recoverable' | 'attempts' | 'age_seconds' | 'first_failed_at'> & {
  recoverable: boolean | null | number;
  attempts: number | string;
  age_seconds: number | string;
  exception_since: string;
};

export async function getExceptions(store: Store, f: Filters, scope: Scope, p: ExceptionParams, opts: { rollups?: boolean } = {}): Promise<{ items: ExceptionItem[]; next_cursor: string | null }> {
  const rows = await queryRows<Row>(
    store,
    'getExceptions',
    sql`
SELECT correlation_id, flow, plant, order_no, material, error_code, error_category, error_message, recoverable,
       attempts, exception_since, age_seconds, age_bucket, state, assignee
FROM (${await exceptionsSql(store, f, scope, p, opts)})
ORDER BY exception_since ASC, correlation_id ASC
${pageLimitSql(f)}`,
  );
  const items = rows.map((r) => ({
    correlation_id: r.correlation_id,
    flow: r.flow,
    plant: r.plant,
    order_no: r.order_no,
    material: r.material,
    error_code: r.error_code,
    error_category: r.error_category,
    error_message: r.error_message,
    recoverable: r.recoverable === null ? null : Boolean(r.recoverable),
    attempts: Number(r.attempts),
    first_failed_at: isoFromCh(r.exception_since)!,
    age_seconds: Number(r.age_seconds),
    age_bucket: r.age_bucket,
    state: r.state,
    assignee: r.assignee,
  }));
  return pageOf(f, items);
}
