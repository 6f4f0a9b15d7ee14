// SLA breaches (CONTRACT §4 /api/v1/sla/breaches): closed breaches (posted later than the threshold)
// and open ones (not posted, older than the threshold), with the threshold in force for the plant.
// latency_seconds: for a closed breach the posting latency; for an open one, the time since occurred_at.
// From the SLA rollup where it may answer and raw rows elsewhere (slaRowsSql); the state is decided as
// the rows are read, with the threshold in force at `at` (slaStateSql), either way.
import { z } from 'zod';
import { param, queryRows, raw, sql, type Sql, type Store } from '../clickhouse/client';
import { chTime, isoFromCh, pageLimitSql, pageOf, type Filters, type Scope } from './filters';
import { builtRowsSql, planKpi, rollupOrRawSql } from './kpiRollup';
import { policyJoinSql, slaStateSql, thresholdSql, transactionsSql } from './transactions';

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

/** The columns of an SLA row, whichever path it comes from. */
const SLA_COLUMNS = raw('correlation_id, flow, plant, order_no, occurred_at, threshold_minutes, sla_state, latency_ms');

/**
 * The transactions of these filters that may be SLA breaches, with their SLA state at `at`: from the SLA
 * rollup (migration 014) for the whole hours it may answer for at `at` (queries/kpiRollup.ts decides
 * which), and from raw rows through queries/transactions.ts for the rest. Raw rows give every
 * transaction; the rollup leaves out those posted within a minute, which are 'met' under any threshold,
 * so the breaches (and only they) are the same rows either way.
 */
export async function slaRowsSql(store: Store, f: Filters, scope: Scope, opts: { rollups?: boolean } = {}): Promise<Sql> {
  return rollupOrRawSql(
    f,
    await planKpi(store, f, scope, opts),
    (plan) => sql`
SELECT ${SLA_COLUMNS}
FROM
(
  SELECT s.correlation_id AS correlation_id, s.flow AS flow, s.plant AS plant, s.order_no AS order_no, s.occurred_at AS occurred_at,
         toUInt32(${thresholdSql('s.flow')}) AS threshold_minutes,
         ${slaStateSql({ status: 's.status', occurredAt: 's.occurred_at', latencyMs: 's.latency_ms', threshold: 'threshold_minutes' }, f.at)} AS sla_state,
         s.latency_ms AS latency_ms
  FROM (${builtRowsSql('sla_hourly', f, scope, plan)}) AS s
  ${policyJoinSql('s', f.at)}
)`,
    (restriction) => sql`SELECT ${SLA_COLUMNS} FROM (${transactionsSql(f, scope, restriction)})`,
  );
}

export async function getSlaBreaches(store: Store, f: Filters, scope: Scope, p: SlaParams, opts: { rollups?: boolean } = {}): Promise<{ items: SlaBreach[]; next_cursor: string | null }> {
  const at = param('at', "DateTime64(3, 'UTC')", chTime(f.at));
  const states = p.state === 'open' ? ['open_breach'] : p.state === 'closed' ? ['closed_breach'] : ['open_breach', 'closed_breach'];
  const rows = await queryRows<{ correlation_id: string; flow: string; plant: string; order_no: string; occurred_at: string; threshold_minutes: string; latency_ms: string; sla_state: string }>(
    store,
    'getSlaBreaches',
    sql`
SELECT correlation_id, flow, plant, order_no, occurred_at, threshold_minutes, sla_state,
       if(sla_state = 'closed_breach', latency_ms, dateDiff('millisecond', occurred_at, ${at})) AS latency_ms
FROM (${await slaRowsSql(store, f, scope, opts)})
WHERE sla_state IN ${param('sla_states', 'Array(String)', states)}
ORDER BY occurred_at ASC, correlation_id ASC
${pageLimitSql(f)}`,
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
  return pageOf(f, items);
}
