// The world's storyline: the things that happen to the group during the simulated window, placed
// relative to the window so every run of a given length tells the same story. Outages and silence are
// aligned to whole hours because the hourly inventory extracts are what they interrupt.
import { DAY, HOUR, MINUTE, floorHour, iso } from './calendar';
import type { Plant } from './plants';

export type Scenario = {
  /** First instant of the world (the start of the backfill). */
  origin: number;
  /** End of the planned history (origin + days): the silent plant goes quiet relative to it. */
  horizon: number;
  /** A plant's WAN link is down: its events wait at the edge and arrive in a burst when it is back. */
  wanOutage: { plant: string; from: number; to: number } | null;
  /** A plant's edge agent dies: nothing from that plant after `from` (order releases to it time out). */
  silence: { plant: string; from: number } | null;
  /** Finance reopens the previous period late for one plant, for a few days. */
  periodReopen: { plant: string; after: number; length: number } | null;
  /**
   * An engineering change reaches the MES before the ERP: the plant books a new material revision
   * from `mesFrom`, which the ERP refuses until its material master is created at `erpCreatedAt`.
   */
  newMaterial: { plant: string; material: string; replaces: string; mesFrom: number; erpCreatedAt: number } | null;
  /** A material the plant still books although the ERP flagged it for deletion: refused, and it stays refused. */
  obsoleteMaterial: { plant: string; material: string; replaces: string; share: number } | null;
  /** A count correction keyed in the ERP only: the one variance nothing explains. */
  adjustment: { plant: string; storageLocation: string; material: string; lot: string; at: number; quantity: number; reason: string } | null;
};

export function buildScenario(origin: number, days: number, plants: Plant[]): Scenario {
  const has = (code: string) => plants.some((p) => p.code === code);
  const span = days * DAY;
  const horizon = origin + span;
  const wanFrom = floorHour(origin + span * 0.45);
  const mesFrom = floorHour(origin + span * 0.2) + 25 * MINUTE;
  return {
    origin,
    horizon,
    wanOutage: has('P04') && span >= 12 * HOUR ? { plant: 'P04', from: wanFrom, to: wanFrom + 3 * HOUR + 20 * MINUTE } : null,
    silence: has('P08') && span >= 12 * HOUR ? { plant: 'P08', from: floorHour(horizon) - 5 * HOUR } : null,
    periodReopen: has('P05') ? { plant: 'P05', after: 30 * HOUR, length: 5 * DAY } : null,
    newMaterial: has('P03') ? { plant: 'P03', material: 'CST-HSG-310B', replaces: 'CST-HSG-310', mesFrom, erpCreatedAt: mesFrom + Math.min(10 * HOUR, span * 0.25) } : null,
    obsoleteMaterial: has('P05') ? { plant: 'P05', material: 'SKT-MS-1', replaces: 'SKT-MS-2', share: 0.05 } : null,
    adjustment: has('P02')
      ? { plant: 'P02', storageLocation: 'RM01', material: 'PIG-TIO2-R', lot: 'VB-0202A', at: floorHour(origin + span * 0.3) + 17 * MINUTE, quantity: -2.5, reason: 'count difference keyed in the ERP (MI07) after a cycle count, never sent to the MES' }
      : null,
  };
}

/** The storyline as people read it (ledger, docs). */
export function describeScenario(s: Scenario) {
  return {
    wan_outage: s.wanOutage && { plant: s.wanOutage.plant, from: iso(s.wanOutage.from), to: iso(s.wanOutage.to) },
    silent_plant: s.silence && { plant: s.silence.plant, from: iso(s.silence.from) },
    period_reopen: s.periodReopen && {
      plant: s.periodReopen.plant,
      rule: `each period closes at 02:00 UTC on the 1st of the next month; for ${s.periodReopen.plant} the closed period is reopened ${s.periodReopen.after / HOUR} h later for ${s.periodReopen.length / DAY} days`,
    },
    new_material: s.newMaterial && { plant: s.newMaterial.plant, material: s.newMaterial.material, replaces: s.newMaterial.replaces, mes_from: iso(s.newMaterial.mesFrom), erp_created_at: iso(s.newMaterial.erpCreatedAt) },
    obsolete_material: s.obsoleteMaterial && { plant: s.obsoleteMaterial.plant, material: s.obsoleteMaterial.material, instead_of: s.obsoleteMaterial.replaces },
    adjustment: s.adjustment && { plant: s.adjustment.plant, storage_location: s.adjustment.storageLocation, material: s.adjustment.material, lot: s.adjustment.lot, at: iso(s.adjustment.at), erp_quantity_change: s.adjustment.quantity, reason: s.adjustment.reason },
  };
}

export const inOutage = (s: Scenario, plant: string, at: number): boolean => !!s.wanOutage && s.wanOutage.plant === plant && at >= s.wanOutage.from && at < s.wanOutage.to;
export const isSilent = (s: Scenario, plant: string, at: number): boolean => !!s.silence && s.silence.plant === plant && at >= s.silence.from;
