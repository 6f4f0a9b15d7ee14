// The ledger: what the simulator sent and what every number must therefore be. It is built from what
// was actually delivered (so it matches the store, not the plan), with the contract's rules (CONTRACT
// §3): a transaction's current status is that of its latest event (ties: posted > failed > pending);
// inventory variance at a cut-off is explained by the stock_delta of ERP postings pending, failed or
// posted twice, and whatever remains is the injected ERP-only adjustment.
import fs from 'node:fs';
import type { InventorySnapshot, PostingStatus } from '../lib/contract';
import { MINUTE, floorHour, iso } from './calendar';
import { fromMilli, toMilli, uomConversions } from './masterdata';
import { erpUnitsPerPostingUnit } from './flows';
import { currentStatus, statusRank, type ErrorInfo, type Transaction, type TxEvent } from './model';
import type { StockKey } from './inventory';
import type { TraceStats } from './traces';
import type { World } from './world';
import { describeScenario } from './scenario';

type TxRecord = {
  plant: string;
  flow: string;
  status: PostingStatus;
  reportedAt: number;
  /** Latest reported_at of the events delivered so far, to notice out-of-order arrival. */
  latestDelivered: number;
};

/** An ERP posting with a stock effect: what reconciliation explains variance with. */
type StockRecord = { key: string; deltaMilli: number; factor: number; occurredAt: number; events: { status: PostingStatus; reportedAt: number; stock: boolean }[] };

export type ReplayRecord = {
  replay_id: string;
  correlation_id: string;
  replay_of: string;
  attempt: number;
  requested_at: string;
  outcome: 'posted' | 'failed' | 'already_posted' | 'unknown_transaction';
  reason: string | null;
};

export type InventoryRow = {
  plant: string;
  storage_location: string;
  material: string;
  lot: string;
  /** The ERP's unit: every quantity below is in it (MES quantities converted with the material's conversion). */
  uom: string;
  mes_uom: string;
  mes_qty_in_mes_uom: number | null;
  mes_qty: number | null;
  erp_qty: number | null;
  variance: number;
  value: number;
  explained_pending: number;
  explained_failed: number;
  explained_duplicate: number;
  /** The ERP-only count correction (its effect on MES − ERP). */
  adjustment: number;
  /**
   * Movements the plant booked that no posting had reported by the cut-off: only while a WAN outage
   * holds them at the edge. They are in no MES snapshot either (the hourly extract cannot run over a
   * dead link), so they explain nothing and are owed nothing: they arrive with the burst.
   */
  unreported: number;
  residual: number;
};

export class Ledger {
  private readonly tx = new Map<string, TxRecord>();
  private readonly stock = new Map<string, StockRecord>();
  private readonly snapshots: Record<'MES' | 'ERP', Map<string, { asOf: number; milli: number }[]>> = { MES: new Map(), ERP: new Map() };
  private readonly replays: ReplayRecord[] = [];
  /** What each inventory key is (units, conversion), kept here: the world forgets keys of lots that are gone. */
  private readonly keyInfo = new Map<string, StockKey>();
  private readonly sent = { posting_messages: 0, posting_events: 0, duplicate_deliveries: 0, out_of_order: 0, inventory_messages: 0, traces: 0 };
  private latestSnapshot = -Infinity;

  constructor(private readonly world: World) {}

  /** A posting result went out (copy 0 is its first delivery, a later copy a duplicate delivery). */
  posting(tx: Transaction, ev: TxEvent, copy: number): void {
    this.sent.posting_messages++;
    if (copy > 0) {
      this.sent.duplicate_deliveries++;
      return;
    }
    this.sent.posting_events++;
    const r = this.tx.get(tx.id);
    if (!r) {
      this.tx.set(tx.id, { plant: tx.plant.code, flow: tx.flow, status: ev.status, reportedAt: ev.reportedAt, latestDelivered: ev.reportedAt });
    } else {
      if (ev.reportedAt < r.latestDelivered) this.sent.out_of_order++;
      r.latestDelivered = Math.max(r.latestDelivered, ev.reportedAt);
      if (ev.reportedAt > r.reportedAt || (ev.reportedAt === r.reportedAt && statusRank(ev.status) > statusRank(r.status))) {
        r.status = ev.status;
        r.reportedAt = ev.reportedAt;
      }
    }
    if (tx.stockKey && tx.targetSystem === 'ERP' && tx.stockDeltaMilli !== null) {
      let s = this.stock.get(tx.id);
      if (!s) {
        s = { key: tx.stockKey, deltaMilli: tx.stockDeltaMilli, factor: erpUnitsPerPostingUnit(tx), occurredAt: tx.occurredAt, events: [] };
        this.stock.set(tx.id, s);
      }
      s.events.push({ status: ev.status, reportedAt: ev.reportedAt, stock: !ev.noStockEffect });
    }
  }

  snapshot(s: InventorySnapshot): void {
    this.sent.inventory_messages++;
    const key = `${s.plant}|${s.storage_location}|${s.material}|${s.lot ?? ''}`;
    const asOf = Date.parse(s.as_of);
    const list = this.snapshots[s.system as 'MES' | 'ERP'].get(key) ?? [];
    list.push({ asOf, milli: toMilli(s.quantity) });
    if (list.length > 1 && list[list.length - 2].asOf > asOf) list.sort((a, b) => a.asOf - b.asOf);
    this.snapshots[s.system as 'MES' | 'ERP'].set(key, list);
    const info = this.world.book.keys.get(key);
    if (info) this.keyInfo.set(key, info);
    this.latestSnapshot = Math.max(this.latestSnapshot, asOf);
  }

  trace(): void {
    this.sent.traces++;
  }

  replay(r: ReplayRecord): void {
    this.replays.push(r);
  }

  /** The transactions' counts per plant × flow × current status, as of `at` (everything delivered so far). */
  statusCounts(): { plant: string; flow: string; status: PostingStatus; transactions: number }[] {
    const counts = new Map<string, number>();
    for (const r of this.tx.values()) {
      const k = `${r.plant}\u0000${r.flow}\u0000${r.status}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts.entries()]
      .map(([k, n]) => {
        const [plant, flow, status] = k.split('\u0000');
        return { plant, flow, status: status as PostingStatus, transactions: n };
      })
      .sort((a, b) => a.plant.localeCompare(b.plant) || a.flow.localeCompare(b.flow) || a.status.localeCompare(b.status));
  }

  /**
   * Reconciliation at `cutOff` (an hour mark whose snapshots have all been sent), per inventory key,
   * in the ERP's unit, with the contract's explained parts computed from the postings sent.
   */
  inventory(cutOff: number): InventoryRow[] {
    const explained = new Map<string, { pending: number; failed: number; duplicate: number; unreported: number }>();
    for (const s of this.stock.values()) {
      if (s.occurredAt > cutOff) continue;
      const known = s.events.filter((e) => e.reportedAt <= cutOff);
      const e = explained.get(s.key) ?? { pending: 0, failed: 0, duplicate: 0, unreported: 0 };
      const delta = s.deltaMilli * s.factor;
      const status = currentStatus(known);
      if (status === null) e.unreported += delta;
      else if (status === 'pending') e.pending += delta;
      else if (status === 'failed') e.failed += delta;
      const postedWithStock = known.filter((x) => x.status === 'posted' && x.stock).length;
      if (postedWithStock > 1) e.duplicate -= (postedWithStock - 1) * delta;
      explained.set(s.key, e);
    }
    const latest = (system: 'MES' | 'ERP', key: string) => {
      const list = this.snapshots[system].get(key);
      if (!list) return null;
      for (let i = list.length - 1; i >= 0; i--) if (list[i].asOf <= cutOff) return list[i].milli;
      return null;
    };
    const adj = this.world.scenario.adjustment;
    const keys = new Set([...this.snapshots.MES.keys(), ...this.snapshots.ERP.keys()]);
    const rows: InventoryRow[] = [];
    for (const key of [...keys].sort()) {
      const k = this.keyInfo.get(key);
      if (!k) continue;
      const mes = latest('MES', key);
      const erp = latest('ERP', key);
      if (mes === null && erp === null) continue;
      const mesInErp = mes === null ? null : mes * k.erpPerMesUnit;
      const variance = (mesInErp ?? 0) - (erp ?? 0);
      const e = explained.get(key) ?? { pending: 0, failed: 0, duplicate: 0, unreported: 0 };
      const adjustment = adj && adj.at <= cutOff && key === `${adj.plant}|${adj.storageLocation}|${adj.material}|${adj.lot}` ? -toMilli(adj.quantity) : 0;
      const residual = variance - e.pending - e.failed - e.duplicate;
      rows.push({
        plant: k.plant,
        storage_location: k.storageLocation,
        material: k.material.code,
        lot: k.lot,
        uom: k.material.uom,
        mes_uom: k.mesUom,
        mes_qty_in_mes_uom: mes === null ? null : fromMilli(mes),
        mes_qty: mesInErp === null ? null : fromMilli(mesInErp),
        erp_qty: erp === null ? null : fromMilli(erp),
        variance: fromMilli(variance),
        value: Math.round(fromMilli(variance) * k.material.unitCost * 100) / 100,
        explained_pending: fromMilli(e.pending),
        explained_failed: fromMilli(e.failed),
        explained_duplicate: fromMilli(e.duplicate),
        adjustment: fromMilli(adjustment),
        unreported: fromMilli(e.unreported),
        residual: fromMilli(residual),
      });
    }
    return rows;
  }

  /** The latest hour mark whose snapshots (sent up to three minutes after it) have all gone out by `at`. */
  cutOffFor(at: number, drained: boolean): number {
    const c = drained ? floorHour(at) : floorHour(at - 3 * MINUTE);
    return Math.min(c, floorHour(this.latestSnapshot));
  }

  /** Transactions currently failed, with their cause and whether a replay would post now. */
  failures(at: number, replayCause: (tx: Transaction, at: number) => ErrorInfo | null) {
    const out = [];
    for (const [id, r] of this.tx) {
      if (r.status !== 'failed') continue;
      const tx = this.world.keptForReplay.get(id);
      if (!tx) continue;
      const delivered = tx.attempts.flatMap((a) => a.events).filter((e) => e.status === 'failed' && e.reportedAt <= r.reportedAt);
      const last = delivered[delivered.length - 1];
      const cause = replayCause(tx, at);
      out.push({
        correlation_id: id,
        plant: r.plant,
        flow: r.flow,
        failed_event_id: last?.eventId ?? null,
        attempts: last?.attempt ?? null,
        error_category: last?.error?.category ?? null,
        error_code: last?.error?.code ?? null,
        error_message: last?.error?.message ?? null,
        replay_now: cause ? 'fails again' : 'posts',
        replay_now_error: cause?.category ?? null,
      });
    }
    return out.sort((a, b) => a.correlation_id.localeCompare(b.correlation_id));
  }

  /** The whole ledger as JSON (`--ledger file.json`). */
  toJSON(at: number, opts: { drained: boolean; traces: TraceStats; replayCause: (tx: Transaction, at: number) => ErrorInfo | null }) {
    const w = this.world;
    const cutOff = this.cutOffFor(at, opts.drained);
    const counts = this.statusCounts();
    const byStatus = { pending: 0, posted: 0, failed: 0 } as Record<PostingStatus, number>;
    for (const c of counts) byStatus[c.status] += c.transactions;
    const failedReleases: Record<string, number> = {};
    for (const c of counts) if (c.flow === 'order_release' && c.status === 'failed') failedReleases[c.plant] = c.transactions;
    const inventory = this.inventory(cutOff);
    return {
      format: 'plantline-simulator-ledger/1',
      as_of: iso(at),
      world: {
        seed: w.seed,
        tag: w.tag,
        origin: iso(w.origin),
        days: w.days,
        rate_per_minute: w.rate,
        plants: w.plants.map((p) => ({
          plant: p.code,
          name: p.name,
          country: p.country,
          utc_offset_minutes: p.utcOffsetMinutes,
          shop_floor: p.kind,
          production: p.production,
          industry: p.catalogue.industry,
          service: p.service,
          shifts: p.shifts.label,
        })),
        scenario: describeScenario(w.scenario),
        uom_conversions: uomConversions(w.plants.flatMap((p) => p.catalogue.materials)),
      },
      sent: { ...this.sent, spans: opts.traces.spans, spans_exported: opts.traces.exported, spans_failed: opts.traces.failed, replays: this.replays.length },
      transactions: { total: this.tx.size, by_status: byStatus, by_plant_flow_status: counts },
      failed_order_releases: { total: Object.values(failedReleases).reduce((s, n) => s + n, 0), by_plant: failedReleases },
      failures: this.failures(at, opts.replayCause),
      inventory: {
        cut_off: iso(cutOff),
        rule: 'variance = mes_qty − erp_qty (ERP unit; MES quantities converted); explained parts from ERP postings with stock_delta, occurred_at ≤ cut_off, status from events reported ≤ cut_off; residual = variance − explained_pending − explained_failed − explained_duplicate, which equals the adjustment',
        rows: inventory,
        unexplained: inventory.filter((r) => r.residual !== 0).map((r) => ({ plant: r.plant, storage_location: r.storage_location, material: r.material, lot: r.lot, residual: r.residual, adjustment: r.adjustment, unreported: r.unreported })),
      },
      replays: this.replays,
    };
  }

  write(file: string, at: number, opts: Parameters<Ledger['toJSON']>[1]): void {
    fs.writeFileSync(file, JSON.stringify(this.toJSON(at, opts), null, 1) + '\n');
  }
}

