// Configuration that shapes the numbers, set by admins and kept as history: per-plant SLA thresholds
// (sla_policies) and unit-of-measure conversions per material (uom_conversions). A change appends a
// row; the latest row in force at the view's instant applies, so a past view keeps its past rules.
import { randomUUID } from 'node:crypto';
import { insertRows, queryRows, sql, type Store } from '../clickhouse/client';
import { MAX_SLA_MINUTES, MIN_SLA_MINUTES } from './sla';

const now = () => new Date().toISOString().replace('T', ' ').replace('Z', '');

export async function setSlaPolicy(store: Store, p: { plant: string; flow: string; threshold_minutes: number }, by: string): Promise<void> {
  if (!Number.isInteger(p.threshold_minutes) || p.threshold_minutes < MIN_SLA_MINUTES || p.threshold_minutes > MAX_SLA_MINUTES) {
    throw new RangeError(`threshold_minutes: expected a whole number of minutes from ${MIN_SLA_MINUTES} to ${MAX_SLA_MINUTES}, got ${p.threshold_minutes}`);
  }
  await insertRows(store, 'sla_policies', null, JSON.stringify({ ...p, changed_by: by, changed_at: now() }) + '\n', `sla-${randomUUID()}`);
}

export async function setUomConversion(store: Store, c: { material: string; from_uom: string; to_uom: string; factor: number }, changedAt = now()): Promise<void> {
  await insertRows(store, 'uom_conversions', null, JSON.stringify({ ...c, changed_at: changedAt }) + '\n', `uom-${randomUUID()}`);
}

export type UomConversion = { material: string; from_uom: string; to_uom: string; factor: number; changed_at: string };

export async function listUomConversions(store: Store): Promise<UomConversion[]> {
  // output names differ from the columns they aggregate: an alias named like its column would be read
  // inside the other aggregates (argMax(factor, changed_at) would see max(changed_at))
  const rows = await queryRows<{ material: string; from_uom: string; to_uom: string; x_factor: string | number; x_changed_at: string }>(
    store,
    'masterConfig.listUomConversions',
    sql`SELECT material, from_uom, to_uom, argMax(factor, changed_at) AS x_factor, max(changed_at) AS x_changed_at
        FROM uom_conversions GROUP BY material, from_uom, to_uom ORDER BY material, from_uom, to_uom`,
  );
  return rows.map((r) => ({ material: r.material, from_uom: r.from_uom, to_uom: r.to_uom, factor: Number(r.x_factor), changed_at: r.x_changed_at }));
}
