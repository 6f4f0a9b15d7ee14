// What has arrived: distinct postings, transactions, snapshots, spans and rejects, and the newest of each.
// Counts are of distinct idempotency keys, so a duplicate delivery never counts twice.
import { queryRows, sql, type Store } from '../clickhouse/client';

export type IngestSummary = {
  postings: number;
  transactions: number;
  snapshots: number;
  spans: number;
  rejects: { stream: string; count: number; last_reason: string; last_at: string }[];
  last_posting_at: string | null;
};

export async function getIngestSummary(store: Store): Promise<IngestSummary> {
  const [counts] = await queryRows<{ postings: string; transactions: string; snapshots: string; spans: string; last_posting_at: string }>(
    store,
    'getIngestSummary',
    sql`SELECT
          (SELECT uniqExact(event_id) FROM postings) AS postings,
          (SELECT uniqExact(correlation_id) FROM postings) AS transactions,
          (SELECT uniqExact(snapshot_id) FROM inventory_snapshots) AS snapshots,
          (SELECT uniqExact(trace_id, span_id) FROM spans) AS spans,
          (SELECT if(count() = 0, '', formatDateTime(max(reported_at), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC')) FROM postings) AS last_posting_at`,
  );
  const rejects = await queryRows<{ stream: string; count: string; last_reason: string; last_at: string }>(
    store,
    'getIngestSummary.rejects',
    sql`SELECT stream, uniqExact(source, source_position) AS count,
               argMax(reason, received_at) AS last_reason,
               formatDateTime(max(received_at), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS last_at
        FROM rejects GROUP BY stream ORDER BY stream`,
  );
  return {
    postings: Number(counts.postings),
    transactions: Number(counts.transactions),
    snapshots: Number(counts.snapshots),
    spans: Number(counts.spans),
    last_posting_at: counts.last_posting_at || null,
    rejects: rejects.map((r) => ({ ...r, count: Number(r.count) })),
  };
}
