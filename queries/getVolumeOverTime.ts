// A plant's day as a series: per time bucket (by occurred_at), how many transactions there were and
// where each stands at `at` — posted, failed or pending. Empty buckets are filled with zeros.
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { isoFromCh, type Filters, type Scope } from './filters';
import { transactionsSql } from './transactions';

export type VolumePoint = { bucket: string; transactions: number; posted: number; failed: number; pending: number };

/** A bucket width that gives a readable number of points (about 12–48) for a range. */
export function bucketSecondsFor(f: Pick<Filters, 'from' | 'to'>): number {
  const span = (f.to.getTime() - f.from.getTime()) / 1000;
  const steps = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400];
  return steps.find((s) => span / s <= 48) ?? 7 * 86_400;
}

/** Every bucket start in [from, to), so a quiet hour shows as zero, not as a gap. */
export function bucketStarts(f: Pick<Filters, 'from' | 'to'>, seconds: number): string[] {
  const step = seconds * 1000;
  const out: string[] = [];
  for (let t = Math.floor(f.from.getTime() / step) * step; t < f.to.getTime(); t += step) out.push(new Date(t).toISOString());
  return out;
}

export async function getVolumeOverTime(store: Store, f: Filters, scope: Scope): Promise<{ bucket_seconds: number; items: VolumePoint[] }> {
  const seconds = bucketSecondsFor(f);
  const rows = await queryRows<Record<string, string>>(
    store,
    'getVolumeOverTime',
    sql`
SELECT toStartOfInterval(occurred_at, toIntervalSecond(${param('bucket_seconds', 'UInt32', seconds)})) AS bucket,
       count() AS transactions, countIf(status = 'posted') AS posted, countIf(status = 'failed') AS failed, countIf(status = 'pending') AS pending
FROM (${transactionsSql(f, scope, undefined, { sla: false })})
GROUP BY bucket ORDER BY bucket`,
  );
  const byBucket = new Map(rows.map((r) => [isoFromCh(r.bucket)!, r]));
  return {
    bucket_seconds: seconds,
    items: bucketStarts(f, seconds).map((bucket) => {
      const r = byBucket.get(bucket);
      return { bucket, transactions: Number(r?.transactions ?? 0), posted: Number(r?.posted ?? 0), failed: Number(r?.failed ?? 0), pending: Number(r?.pending ?? 0) };
    }),
  };
}
