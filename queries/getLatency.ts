// Posting latency per plant and flow (CONTRACT §4 /api/v1/latency): of posted transactions, the time
// from occurred_at to the first posted event. Quantiles are exact (quantileExact: the value at
// position floor(level × n) of the sorted latencies).
import { queryRows, sql, type Store } from '../clickhouse/client';
import type { Filters, Scope } from './filters';
import { transactionsSql } from './transactions';

export type LatencyRow = { plant: string; flow: string; count: number; p50_ms: number; p95_ms: number; p99_ms: number };

export async function getLatency(store: Store, f: Filters, scope: Scope): Promise<{ items: LatencyRow[]; next_cursor: null }> {
  const rows = await queryRows<Record<keyof LatencyRow, string>>(
    store,
    'getLatency',
    sql`
SELECT plant, flow, count() AS count,
       quantileExact(0.5)(latency_ms) AS p50_ms, quantileExact(0.95)(latency_ms) AS p95_ms, quantileExact(0.99)(latency_ms) AS p99_ms
FROM (${transactionsSql(f, scope)})
WHERE status = 'posted'
GROUP BY plant, flow
ORDER BY plant, flow`,
  );
  return {
    items: rows.map((r) => ({ plant: r.plant, flow: r.flow, count: Number(r.count), p50_ms: Number(r.p50_ms), p95_ms: Number(r.p95_ms), p99_ms: Number(r.p99_ms) })),
    next_cursor: null,
  };
}
