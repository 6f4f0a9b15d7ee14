// Search (CONTRACT §4 /api/v1/search?q=): transactions whose order, material, lot, ERP document,
// correlation id or trace id equals q, newest first, within the viewer's plants. Exact matches only:
// every one of these keys has a bloom filter, so a lookup skips the granules that cannot hold it.
import { param, queryRows, raw, sql, type Store } from '../clickhouse/client';
import { isoFromCh, pageLimitSql, pageOf, postingConditions, type Filters, type Scope } from './filters';

export type SearchHit = {
  correlation_id: string;
  plant: string;
  flow: string;
  status: string;
  occurred_at: string;
  order_no: string;
  material: string;
  lot: string;
  document_no: string;
  trace_id: string;
  matched_on: string[];
};

// ties at one reported_at: posted > failed > pending (CONTRACT §3)
const RANK = raw(`multiIf(status = 'posted', 3, status = 'failed', 2, 1)`);

export async function searchTransactions(store: Store, q: string, f: Filters, scope: Scope): Promise<{ items: SearchHit[]; next_cursor: string | null }> {
  const term = param('q', 'String', q.trim());
  const traceTerm = param('q_trace', 'String', q.trim().toLowerCase());
  const rows = await queryRows<Record<string, unknown>>(
    store,
    'searchTransactions',
    sql`
SELECT correlation_id, any(plant) AS hit_plant, any(flow) AS hit_flow,
       argMax(status, (reported_at, ${RANK})) AS hit_status,
       min(occurred_at) AS hit_occurred_at,
       anyIf(order_no, order_no != '') AS hit_order_no, anyIf(material, material != '') AS hit_material, anyIf(lot, lot != '') AS hit_lot,
       anyIf(document_no, document_no != '') AS hit_document_no, anyIf(trace_id, trace_id != '') AS hit_trace_id,
       arrayFilter(x -> x != '', [
         if(max(correlation_id = ${term}), 'correlation_id', ''), if(max(trace_id = ${traceTerm}), 'trace_id', ''),
         if(max(order_no = ${term}), 'order_no', ''), if(max(material = ${term}), 'material', ''),
         if(max(lot = ${term}), 'lot', ''), if(max(document_no = ${term}), 'document_no', '')]) AS matched_on
FROM postings
WHERE ${postingConditions(f, scope)}
  AND correlation_id IN (
    SELECT correlation_id FROM postings
    WHERE ${postingConditions(f, scope)}
      AND (correlation_id = ${term} OR trace_id = ${traceTerm} OR order_no = ${term} OR material = ${term} OR lot = ${term} OR document_no = ${term})
    UNION ALL
    SELECT correlation_id FROM span_transactions WHERE trace_id = ${traceTerm}
  )
GROUP BY correlation_id
ORDER BY hit_occurred_at DESC, correlation_id ASC
${pageLimitSql(f)}`,
  );
  const items: SearchHit[] = rows.map((r) => ({
    correlation_id: String(r.correlation_id),
    plant: String(r.hit_plant),
    flow: String(r.hit_flow),
    status: String(r.hit_status),
    occurred_at: isoFromCh(String(r.hit_occurred_at))!,
    order_no: String(r.hit_order_no),
    material: String(r.hit_material),
    lot: String(r.hit_lot),
    document_no: String(r.hit_document_no),
    trace_id: String(r.hit_trace_id),
    matched_on: r.matched_on as string[],
  }));
  return pageOf(f, items);
}
