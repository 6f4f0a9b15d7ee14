// Exception aging (CONTRACT §4 /api/v1/exceptions/aging): open exceptions per plant and age bucket
// (<1h, 1-4h, 4-24h, 1-3d, >3d). Every (plant, bucket) with at least one exception is a row.
import { queryRows, sql, type Store } from '../clickhouse/client';
import type { AgingBucket } from '../lib/sla';
import type { Filters, Scope } from './filters';
import { exceptionsSql, type ExceptionParams } from './getExceptions';

export type AgingRow = { plant: string; bucket: AgingBucket; count: number };

const ORDER = ['<1h', '1-4h', '4-24h', '1-3d', '>3d'];

export async function getExceptionAging(store: Store, f: Filters, scope: Scope, p: Omit<ExceptionParams, 'aging'>, opts: { rollups?: boolean } = {}): Promise<{ items: AgingRow[]; next_cursor: null }> {
  const rows = await queryRows<{ plant: string; bucket: AgingBucket; count: string }>(
    store,
    'getExceptionAging',
    sql`SELECT plant, age_bucket AS bucket, count() AS count FROM (${await exceptionsSql(store, f, scope, { ...p, aging: undefined }, opts)}) GROUP BY plant, bucket`,
  );
  const items = rows
    .map((r) => ({ plant: r.plant, bucket: r.bucket, count: Number(r.count) }))
    .sort((a, b) => a.plant.localeCompare(b.plant) || ORDER.indexOf(a.bucket) - ORDER.indexOf(b.bucket));
  return { items, next_cursor: null };
}
