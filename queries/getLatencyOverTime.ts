// Posting latency over time: per time bucket (by occurred_at), the p50, p95 and p99 of the posted
// transactions' latency (occurred_at → first posted event), exact quantiles like getLatency. Buckets
// with nothing posted are kept, with null percentiles, so the chart shows the gap.
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { isoFromCh, type Filters, type Scope } from './filters';
import { transactionsSql } from './transactions';
import { bucketSecondsFor, bucketStarts } from './getVolumeOverTime';

export type LatencyPoint = { bucket: string; count: number; p50_ms: number | null; p95_ms: number | null; p99_ms: number | null };

export async function getLatencyOverTime(store: Store, f: Filters, scope: Scope): Promise<{ bucket_seconds: number; items: LatencyPoint[] }> {
  const seconds = bucketSecondsFor(f);
  const rows = await queryRows<{ bucket: string; count: string; q: (string | number)[] }>(
    store,
    'getLatencyOverTime',
    sql`
SELECT toStartOfInterval(occurred_at, toIntervalSecond(${param('bucket_seconds', 'UInt32', seconds)})) AS bucket,
       count() AS count, quantilesExact(0.5, 0.95, 0.99)(latency_ms) AS q
FROM (${transactionsSql(f, scope, undefined, { sla: false })})
WHERE status = 'posted'
GROUP BY bucket ORDER BY bucket`,
  );
  const byBucket = new Map(rows.map((r) => [isoFromCh(r.bucket)!, r]));
  return {
    bucket_seconds: seconds,
    items: bucketStarts(f, seconds).map((bucket) => {
      const r = byBucket.get(bucket);
      return r
        ? { bucket, count: Number(r.count), p50_ms: Number(r.q[0]), p95_ms: Number(r.q[1]), p99_ms: Number(r.q[2]) }
        : { bucket, count: 0, p50_ms: null, p95_ms: null, p99_ms: null };
    }),
  };
}
