// Plant IT's matrix (/api/v1/flows): per plant × flow the volume, failures, pending backlog and p95
// latency of the selected transactions; and per plant when it was last heard from, so a plant that
// went silent stands out even when it has no transaction in the range at all.
import { z } from 'zod';
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { chTime, isoFromCh, type Filters, type Scope } from './filters';
import { kpiSource } from './kpiRollup';

export const flowParams = z.object({ silent_after_minutes: z.coerce.number().int().min(1).max(10_080).default(30) });
export type FlowParams = z.infer<typeof flowParams>;

export type FlowCell = { plant: string; flow: string; transactions: number; posted: number; failed: number; pending: number; open_sla_breaches: number; p95_ms: number | null };
export type PlantPulse = { plant: string; last_reported_at: string | null; silent: boolean; minutes_since_last: number | null };

export async function getFlowMatrix(store: Store, f: Filters, scope: Scope, p: FlowParams, opts: { rollups?: boolean } = {}): Promise<{ items: FlowCell[]; plants: PlantPulse[]; next_cursor: null }> {
  const cells = await queryRows<Record<string, string | number | null>>(
    store,
    'getFlowMatrix',
    sql`
SELECT plant, flow, sum(n_transactions) AS transactions, sum(n_posted) AS posted, sum(n_failed) AS failed,
       sum(n_pending) AS pending, sum(n_open_breaches) AS open_sla_breaches,
       if(sum(n_posted) = 0, NULL, quantilesExactArray(0.5, 0.95, 0.99)(latencies)[2]) AS p95_ms
FROM (${await kpiSource(store, f, scope, opts)})
GROUP BY plant, flow
HAVING transactions > 0
ORDER BY plant, flow`,
  );
  // last word from each plant in the week before `at`, whatever the range
  const at = param('at', "DateTime64(3, 'UTC')", chTime(f.at));
  const week = param('week_start', "DateTime64(3, 'UTC')", chTime(new Date(f.at.getTime() - 7 * 24 * 3600 * 1000)));
  const scopePlants = scope.plants ? sql` AND plant IN ${param('scope_plants', 'Array(String)', scope.plants)}` : sql``;
  const wanted = f.plants.length ? sql` AND plant IN ${param('plants', 'Array(String)', f.plants)}` : sql``;
  const pulses = await queryRows<{ plant: string; last_reported: string; ms_since: string }>(
    store,
    'getFlowMatrix.pulse',
    // the time elapsed, not the minute boundaries crossed (dateDiff counts those)
    sql`SELECT plant, max(reported_at) AS last_reported, dateDiff('millisecond', last_reported, ${at}) AS ms_since
        FROM postings WHERE reported_at <= ${at} AND reported_at > ${week}${scopePlants}${wanted}
        GROUP BY plant ORDER BY plant`,
  );
  return {
    items: cells.map((c) => ({
      plant: String(c.plant),
      flow: String(c.flow),
      transactions: Number(c.transactions),
      posted: Number(c.posted),
      failed: Number(c.failed),
      pending: Number(c.pending),
      open_sla_breaches: Number(c.open_sla_breaches),
      p95_ms: c.p95_ms === null ? null : Number(c.p95_ms),
    })),
    plants: pulses.map((x) => ({
      plant: x.plant,
      last_reported_at: isoFromCh(x.last_reported),
      minutes_since_last: Math.floor(Number(x.ms_since) / 60_000),
      silent: Number(x.ms_since) > p.silent_after_minutes * 60_000,
    })),
    next_cursor: null,
  };
}
