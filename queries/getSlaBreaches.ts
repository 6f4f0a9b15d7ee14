// SLA breaches (CONTRACT §4 /api/v1/sla/breaches): closed breaches (posted later than the threshold)
// and open ones (not posted, older than the threshold), with the threshold in force for the plant.
// latency_seconds: for a closed breach the posting latency; for an open one, the time since occurred_at.
import { z } from 'zod';
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { chTime, isoFromCh, nextCursor, type Filters, type Scope } from './filters';
import { transactionsSql } from './transactions';

export const slaParams = z.object({ state: z.enum(['open', 'closed']).optional() });
export type SlaParams = z.infer<typeof slaParams>;

export type SlaBreach = {
  correlation_id: string;
  flow: string;
  plant: string;
  order_no: string;
  occurred_at: string;
  threshold_minutes: number;
  latency_seconds: number;
  state: 'open' | 'closed';
};

export async function getSlaBreaches(store: Store, f: Filters, scope: Scope, p: SlaParams): Promise<{ items: SlaBreach[]; next_cursor: string | null }> {
  const at = param('at', "DateTime64(3, 'UTC')", chTime(f.at));
  const states = p.state === 'open' ? ['open_breach'] : p.state === 'closed' ? ['closed_breach'] : ['open_breach', 'closed_breach'];
  const rows = await queryRows<{ correlation_id: string; flow: string; plant: string; order_no: string; occurred_at: string; threshold_minutes: string; latency_ms: string; sla_state: string }>(
    store,
    'getSlaBreaches',
    sql`
SELECT correlation_id, flow, plant, order_no, occurred_at, threshold_minutes, sla_state,
       if(sla_state = 'closed_breach', latency_ms, dateDiff('millisecond', occurred_at, ${at})) AS latency_ms
FROM (${transactionsSql(f, scope)})
WHERE sla_state IN ${param('sla_states', 'Array(String)', states)}
ORDER BY occurred_at ASC, correlation_id ASC
LIMIT ${param('limit', 'UInt32', f.limit)} OFFSET ${param('offset', 'UInt32', f.offset)}`,
  );
  const items = rows.map((r) => ({
    correlation_id: r.correlation_id,
    flow: r.flow,
    plant: r.plant,
    order_no: r.order_no,
    occurred_at: isoFromCh(r.occurred_at)!,
    threshold_minutes: Number(r.threshold_minutes),
    latency_seconds: Number(r.latency_ms) / 1000,
    state: (r.sla_state === 'closed_breach' ? 'closed' : 'open') as 'open' | 'closed',
  }));
  return { items, next_cursor: nextCursor(f.offset, f.limit, items.length) };
}
