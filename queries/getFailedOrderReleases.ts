// Failed order releases (CONTRACT §4 /api/v1/order-releases/failed): exceptions of the order_release
// flow — production orders ERP sent down that no plant received — oldest first.
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import type { AgingBucket } from '../lib/sla';
import { isoFromCh, pageLimitSql, pageOf, type Filters, type Scope } from './filters';
import { exceptionsSql } from './getExceptions';

export type FailedOrderRelease = {
  correlation_id: string;
  plant: string;
  order_no: string;
  material: string;
  error_code: string;
  error_category: string;
  error_message: string;
  attempts: number;
  first_failed_at: string;
  age_seconds: number;
  age_bucket: AgingBucket;
  state: string;
};

export async function getFailedOrderReleases(store: Store, f: Filters, scope: Scope, opts: { rollups?: boolean } = {}): Promise<{ items: FailedOrderRelease[]; next_cursor: string | null }> {
  const releases = { ...f, flows: ['order_release'] };
  const rows = await queryRows<Omit<FailedOrderRelease, 'attempts' | 'age_seconds'> & { attempts: string; age_seconds: string }>(
    store,
    'getFailedOrderReleases',
    sql`
SELECT correlation_id, plant, order_no, material, error_code, error_category, error_message, attempts,
       exception_since AS first_failed_at, age_seconds, age_bucket, state
FROM (${await exceptionsSql(store, releases, scope, { status: 'open' }, opts)})
ORDER BY exception_since ASC, correlation_id ASC
${pageLimitSql(f)}`,
  );
  const items = rows.map((r) => ({ ...r, attempts: Number(r.attempts), age_seconds: Number(r.age_seconds), first_failed_at: isoFromCh(r.first_failed_at)! }));
  return pageOf(f, items);
}
