// Executives' KPIs (CONTRACT §4 /api/v1/overview): transactions by current status, first-pass yield,
// SLA compliance, open exceptions and SLA breaches, posting latency p50/p95 — in total and per plant.
// Counts are exact; latency quantiles are exact too (quantilesExact: the value at position
// floor(level × n) of the sorted latencies). Read from the hourly rollup where it may be trusted and
// raw rows elsewhere (queries/kpiRollup.ts): the same figures either way.
import { queryRows, sql, type Store } from '../clickhouse/client';
import type { Filters, Scope } from './filters';
import { kpiSource } from './kpiRollup';

export type OverviewFigures = {
  transactions: number;
  posted: number;
  failed: number;
  pending: number;
  /** attempt-1 ended posted / (posted + failed); null when nothing has finished */
  first_pass_yield: number | null;
  /** posted within threshold / (posted + open breaches); null when there is nothing to judge */
  sla_compliance: number | null;
  open_exceptions: number;
  open_sla_breaches: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
};

export type Overview = OverviewFigures & { by_plant: (OverviewFigures & { plant: string })[] };

type Row = Record<keyof OverviewFigures, string | number | null> & { plant: string; is_total: number };

export async function getOverview(store: Store, f: Filters, scope: Scope, opts: { rollups?: boolean } = {}): Promise<Overview> {
  const rows = await queryRows<Row>(
    store,
    'getOverview',
    sql`
SELECT
  plant,
  grouping(plant) AS is_total,
  sum(n_transactions) AS transactions,
  sum(n_posted) AS posted,
  sum(n_failed) AS failed,
  sum(n_pending) AS pending,
  sum(n_first_pass) / nullIf(sum(n_posted) + sum(n_failed), 0) AS first_pass_yield,
  sum(n_sla_met) / nullIf(sum(n_posted) + sum(n_open_breaches), 0) AS sla_compliance,
  sum(n_open_exceptions) AS open_exceptions,
  sum(n_open_breaches) AS open_sla_breaches,
  quantilesExactArray(0.5, 0.95, 0.99)(latencies) AS q,
  if(sum(n_posted) = 0, NULL, q[1]) AS latency_p50_ms,
  if(sum(n_posted) = 0, NULL, q[2]) AS latency_p95_ms
FROM (${await kpiSource(store, f, scope, opts)})
GROUP BY ROLLUP(plant)
ORDER BY is_total DESC, plant
SETTINGS group_by_use_nulls = 0`,
  );
  const figures = (r: Row): OverviewFigures => ({
    transactions: Number(r.transactions),
    posted: Number(r.posted),
    failed: Number(r.failed),
    pending: Number(r.pending),
    first_pass_yield: r.first_pass_yield === null ? null : Number(r.first_pass_yield),
    sla_compliance: r.sla_compliance === null ? null : Number(r.sla_compliance),
    open_exceptions: Number(r.open_exceptions),
    open_sla_breaches: Number(r.open_sla_breaches),
    latency_p50_ms: r.latency_p50_ms === null ? null : Number(r.latency_p50_ms),
    latency_p95_ms: r.latency_p95_ms === null ? null : Number(r.latency_p95_ms),
  });
  const total = rows.find((r) => Number(r.is_total) === 1);
  const empty: OverviewFigures = {
    transactions: 0, posted: 0, failed: 0, pending: 0, first_pass_yield: null, sla_compliance: null,
    open_exceptions: 0, open_sla_breaches: 0, latency_p50_ms: null, latency_p95_ms: null,
  };
  return {
    ...(total ? figures(total) : empty),
    by_plant: rows.filter((r) => Number(r.is_total) === 0).map((r) => ({ plant: r.plant, ...figures(r) })),
  };
}
