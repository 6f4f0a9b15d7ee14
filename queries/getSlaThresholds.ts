// The SLA thresholds in force at `at` (CONTRACT §3): the contract's default per flow, and the plants'
// overrides (the latest row of sla_policies per plant and flow, with who set it and when).
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { DEFAULT_SLA_MINUTES } from '../lib/sla';
import { chTime, isoFromCh, type Filters, type Scope } from './filters';

export type SlaOverride = { plant: string; flow: string; threshold_minutes: number; default_minutes: number; changed_by: string; changed_at: string };

export async function getSlaThresholds(store: Store, f: Filters, scope: Scope): Promise<{ defaults: { flow: string; minutes: number }[]; overrides: SlaOverride[] }> {
  const conditions = [sql`changed_at <= ${param('at', "DateTime64(3, 'UTC')", chTime(f.at))}`];
  if (f.plants.length) conditions.push(sql`plant IN ${param('plants', 'Array(String)', f.plants)}`);
  if (f.flows.length) conditions.push(sql`flow IN ${param('flows', 'Array(String)', f.flows)}`);
  if (scope.plants) conditions.push(sql`plant IN ${param('scope_plants', 'Array(String)', scope.plants)}`);
  const rows = await queryRows<{ plant: string; flow: string; threshold_minutes: string; changed_by: string; last_changed_at: string }>(
    store,
    'getSlaThresholds',
    sql`
SELECT plant, flow, argMax(threshold_minutes, changed_at) AS threshold_minutes, argMax(changed_by, changed_at) AS changed_by, max(changed_at) AS last_changed_at
FROM sla_policies
WHERE ${conditions.reduce((a, c) => sql`${a} AND ${c}`)}
GROUP BY plant, flow ORDER BY plant, flow`,
  );
  const defaults = Object.entries(DEFAULT_SLA_MINUTES).map(([flow, minutes]) => ({ flow, minutes }));
  return {
    defaults: f.flows.length ? defaults.filter((d) => f.flows.includes(d.flow)) : defaults,
    overrides: rows.map((r) => ({
      plant: r.plant,
      flow: r.flow,
      threshold_minutes: Number(r.threshold_minutes),
      default_minutes: DEFAULT_SLA_MINUTES[r.flow as keyof typeof DEFAULT_SLA_MINUTES] ?? 60,
      changed_by: r.changed_by,
      changed_at: isoFromCh(r.last_changed_at)!,
    })),
  };
}
