// Stock as each system sees it. The shop floor (MES) books a movement when it happens (occurred_at);
// the ERP books it when it posts it (the reported_at of a `posted` result), once per posted result,
// so a double post moves ERP stock twice. Vendor receipts land in both at once and an ERP-only count
// correction lands in the ERP alone. Hourly snapshots of both follow from that, so MES − ERP is exactly
// what is pending, failed or posted twice, plus the correction: nothing else can make them differ.
import type { InventorySnapshot } from '../lib/contract';
import { iso } from './calendar';
import { TimeHeap } from './heap';
import { fromMilli, type Material } from './masterdata';

export type System = 'MES' | 'ERP';

export type StockKey = {
  key: string;
  plant: string;
  storageLocation: string;
  material: Material;
  lot: string;
  /** MES unit and how many ERP units one MES unit is (1 unless the plant counts differently). */
  mesUom: string;
  erpPerMesUnit: number;
};

type Movement = { at: number; seq: number; key: string; system: System; milli: number };

export class StockBook {
  readonly keys = new Map<string, StockKey>();
  private readonly balance: Record<System, Map<string, number>> = { MES: new Map(), ERP: new Map() };
  /** Everything booked so far including the future (planned), per system: what a planner would see. */
  private readonly planned: Record<System, Map<string, number>> = { MES: new Map(), ERP: new Map() };
  private readonly lastSnapshot: Record<System, Map<string, number>> = { MES: new Map(), ERP: new Map() };
  private readonly future = new TimeHeap<Movement>();
  /** Movements booked for a key that have not happened yet. */
  private readonly upcoming = new Map<string, number>();
  private seq = 0;
  private bookedUntil = -Infinity;

  key(plant: string, storageLocation: string, material: Material, lot: string): StockKey {
    const key = `${plant}|${storageLocation}|${material.code}|${lot}`;
    let k = this.keys.get(key);
    if (!k) {
      k = { key, plant, storageLocation, material, lot, mesUom: material.mes?.uom ?? material.uom, erpPerMesUnit: material.mes?.erpPerMesUnit ?? 1 };
      this.keys.set(key, k);
    }
    return k;
  }

  /** Book a movement of `milli` milli-units (MES units for the MES, ERP units for the ERP) at `at`. */
  book(system: System, key: string, at: number, milli: number): void {
    if (milli === 0) return;
    this.planned[system].set(key, (this.planned[system].get(key) ?? 0) + milli);
    if (at <= this.bookedUntil) {
      // only replays land "now"; everything planned is in the future of the last snapshot
      this.balance[system].set(key, (this.balance[system].get(key) ?? 0) + milli);
      return;
    }
    this.future.push({ at, seq: this.seq++, key, system, milli });
    this.upcoming.set(key, (this.upcoming.get(key) ?? 0) + 1);
  }

  plannedQty(system: System, key: string): number {
    return this.planned[system].get(key) ?? 0;
  }

  /** Apply every movement up to and including `at`. */
  advanceTo(at: number): void {
    for (const m of this.future.popUntil(at)) {
      this.balance[m.system].set(m.key, (this.balance[m.system].get(m.key) ?? 0) + m.milli);
      const left = this.upcoming.get(m.key)! - 1;
      if (left === 0) this.upcoming.delete(m.key);
      else this.upcoming.set(m.key, left);
    }
    this.bookedUntil = Math.max(this.bookedUntil, at);
  }

  qty(system: System, key: string): number {
    return this.balance[system].get(key) ?? 0;
  }

  /**
   * Snapshots at `asOf` of the keys whose balance changed since the system's last snapshot (every key
   * with stock when `full`), for the systems `include` allows. Ids are stable, so a world generated
   * again sends the same snapshot ids and a repeat changes nothing.
   */
  snapshots(asOf: number, tag: string, include: (plant: string, system: System) => boolean, full: boolean): InventorySnapshot[] {
    this.advanceTo(asOf);
    const out: InventorySnapshot[] = [];
    const stamp = iso(asOf).slice(0, 13).replace(/[-T]/g, '');
    const counters = new Map<string, number>();
    const sorted = [...this.keys.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const k of sorted) {
      // a lot that left both systems, was reported empty by both and expects no movement is forgotten
      const idle = !this.upcoming.has(k.key) && (['MES', 'ERP'] as const).every((sys) => this.qty(sys, k.key) === 0 && this.lastSnapshot[sys].get(k.key) === 0);
      if (idle) {
        this.keys.delete(k.key);
        for (const sys of ['MES', 'ERP'] as const) {
          this.lastSnapshot[sys].delete(k.key);
          this.balance[sys].delete(k.key);
          this.planned[sys].delete(k.key);
        }
      }
    }
    // A key is in the reconciliation's scope once either system has it: from then on both extracts list
    // it, with 0 where a system has nothing (a lot whose goods receipt the ERP refused is still compared).
    const inScope = (key: string) => (['MES', 'ERP'] as const).some((sys) => this.qty(sys, key) !== 0 || this.lastSnapshot[sys].has(key));
    for (const system of ['MES', 'ERP'] as const) {
      for (const k of sorted) {
        if (!this.keys.has(k.key)) continue;
        if (!include(k.plant, system)) continue;
        const q = this.qty(system, k.key);
        const last = this.lastSnapshot[system].get(k.key);
        // nothing to report: unchanged (outside the full daily extract), or a lot in neither system yet
        if ((last === q && !(full && q !== 0)) || (last === undefined && !inScope(k.key))) continue;
        this.lastSnapshot[system].set(k.key, q);
        const group = `${system}-${k.plant}`;
        const n = (counters.get(group) ?? 0) + 1;
        counters.set(group, n);
        const snap: InventorySnapshot = {
          snapshot_id: `SNAP-${tag}-${group}-${stamp}-${String(n).padStart(4, '0')}`,
          plant: k.plant,
          system,
          storage_location: k.storageLocation,
          material: k.material.code,
          lot: k.lot,
          quantity: fromMilli(q),
          uom: system === 'MES' ? k.mesUom : k.material.uom,
          as_of: iso(asOf),
        };
        if (system === 'ERP') snap.unit_cost = k.material.unitCost;
        out.push(snap);
      }
    }
    return out;
  }
}
