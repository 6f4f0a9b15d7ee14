// SLA compliance by plant and flow: per (plant, flow) the threshold in force, the posted transactions
// that met it, closed breaches (posted late), open breaches (not posted, older than the threshold) and
// compliance = met / (posted + open breaches), CONTRACT §3.
import { queryRows, sql, type Store } from '../clickhouse/client';
import type { Filters, Scope } from './filters';
import { transactionsSql } from './transactions';

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

export async function getSlaSummary(store: Store, f: Filters, scope: Scope): Promise<{ items: SlaSummaryRow[] }> {
  const rows = await queryRows<Record<string, string | number | null>>(
    store,
    'getSlaSummary',
    sql`
SELECT plant, flow, any(threshold_minutes) AS threshold_minutes, count() AS transactions,
       countIf(status = 'posted') AS posted, countIf(sla_state = 'met') AS met,
       countIf(sla_state = 'closed_breach') AS closed_breaches, countIf(sla_state = 'open_breach') AS open_breaches,
       met / nullIf(posted + open_breaches, 0) AS compliance
FROM (${transactionsSql(f, scope)})
GROUP BY plant, flow ORDER BY plant, flow`,
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
  };
}
