// Posting latency per plant and flow (CONTRACT §4 /api/v1/latency): of posted transactions, the time
// from occurred_at to the first posted event. Quantiles are exact (quantilesExact: the value at
// position floor(level × n) of the sorted latencies), from the hourly rollup where it may be trusted
// and raw rows elsewhere (queries/kpiRollup.ts).
import { queryRows, sql, type Store } from '../clickhouse/client';
import type { Filters, Scope } from './filters';
import { kpiSource } from './kpiRollup';

export type LatencyRow = { plant: string; flow: string; count: number; p50_ms: number; p95_ms: number; p99_ms: number };

export async function getLatency(store: Store, f: Filters, scope: Scope, opts: { rollups?: boolean } = {}): Promise<{ items: LatencyRow[]; next_cursor: null }> {
  const rows = await queryRows<Record<keyof LatencyRow, string>>(
    store,
    'getLatency',
    sql`
SELECT plant, flow, sum(n_posted) AS count, quantilesExactArray(0.5, 0.95, 0.99)(latencies) AS q,
       q[1] AS p50_ms, q[2] AS p95_ms, q[3] AS p99_ms
FROM (${await kpiSource(store, f, scope, opts)})
GROUP BY plant, flow
HAVING count > 0
ORDER BY plant, flow`,
  );
  return {
    items: rows.map((r) => ({ plant: r.plant, flow: r.flow, count: Number(r.count), p50_ms: Number(r.p50_ms), p95_ms: Number(r.p95_ms), p99_ms: Number(r.p99_ms) })),
    next_cursor: null,
  };
}
