// SLA compliance by plant and flow: per (plant, flow) the threshold in force, the posted transactions
// that met it, closed breaches (posted late), open breaches (not posted, older than the threshold) and
// compliance = met / (posted + open breaches), CONTRACT §3. From the hourly rollup where it may be
// trusted and raw rows elsewhere (queries/kpiRollup.ts).
import { queryRows, sql, type Store } from '../clickhouse/client';
import type { Filters, Scope } from './filters';
import { kpiSource } from './kpiRollup';

export type SlaSummaryRow = {
  plant: string;
  flow: string;
  threshold_minutes: number;
  transactions: number;
  posted: number;
  met: number;
  closed_breaches: number;
  open_breaches: number;
  compliance: number | null;
};

export async function getSlaSummary(store: Store, f: Filters, scope: Scope, opts: { rollups?: boolean } = {}): Promise<{ items: SlaSummaryRow[]; next_cursor: null }> {
  const rows = await queryRows<Record<string, string | number | null>>(
    store,
    'getSlaSummary',
    sql`
SELECT plant, flow, any(threshold) AS threshold_minutes, sum(n_transactions) AS transactions,
       sum(n_posted) AS posted, sum(n_sla_met) AS met,
       posted - met AS closed_breaches, sum(n_open_breaches) AS open_breaches,
       met / nullIf(posted + open_breaches, 0) AS compliance
FROM (${await kpiSource(store, f, scope, opts)})
GROUP BY plant, flow
HAVING transactions > 0
ORDER BY plant, flow`,
  );
  return {
    items: rows.map((r) => ({
      plant: String(r.plant),
      flow: String(r.flow),
      threshold_minutes: Number(r.threshold_minutes),
      transactions: Number(r.transactions),
      posted: Number(r.posted),
      met: Number(r.met),
      closed_breaches: Number(r.closed_breaches),
      open_breaches: Number(r.open_breaches),
      compliance: r.compliance === null ? null : Number(r.compliance),
    })),
    next_cursor: null,
  };
}
