// The simulated group, hour by hour: production orders released from the ERP and everything they cause
// on the shop floor (material issues, operation confirmations, goods receipts, scrap, quality holds),
// then the finished lots leaving (shipments, transfers to the distribution centre); each transaction's
// attempts planned in full when it happens; stock booked in both systems; hourly inventory snapshots.
// Generation runs strictly in hour order from the origin, so a world is a pure function of its
// options: same seed, origin, plants and rate, same events.
import type { Flow, InventorySnapshot } from '../lib/contract';
import { DAY, HOUR, MINUTE, SECOND, ceilHour, localDateCode, previousPeriod, periodOf } from './calendar';
import { planErpPosting, planOrderRelease, type PlanContext } from './failures';
import { erpUnitsPerPostingUnit, transaction, type ProductionOrder, type TxDraft } from './flows';
import { StockBook } from './inventory';
import { STORAGE, bookable, toMilli, type Material } from './masterdata';
import { flowCode, type Attempt, type Transaction, type TxEvent } from './model';
import { PLANTS, activity, meanActivity, type Plant } from './plants';
import { hexId, rng, shortTag, type Rng } from './random';
import { WorldRules } from './rules';
import { attemptSpanEnd, rootSpanEnd } from './traces';
import { buildScenario, inOutage, isSilent, type Scenario } from './scenario';

export type WorldOptions = {
  seed: string | number;
  /** How many plants of the group (the first N of plants.ts). */
  plants?: number;
  /** The group's average business transactions per minute. */
  rate?: number;
  /** First instant of the world; the hour it falls in is the first generated. */
  origin: number;
  /** Length of the planned history in days (places the storyline: outage, silence, ...). */
  days: number;
};

/** Something to deliver at `at`: a posting result (one copy of it), an inventory snapshot, or an attempt's spans. */
export type Outgoing =
  | { kind: 'posting'; at: number; seq: number; tx: Transaction; event: TxEvent; copy: number }
  | { kind: 'snapshot'; at: number; seq: number; snapshot: InventorySnapshot }
  | { kind: 'trace'; at: number; seq: number; tx: Transaction; attempt: Attempt; part: 'root' | 'attempt'; end: number };

export type Emit = (item: Outgoing) => void;

/** One production order being played out: its plan, the material the MES books it under, its random stream. */
type OrderRun = { plant: Plant; order: ProductionOrder; mesFinished: Material; r: Rng; emit: Emit };

/** Shares of delivery faults of the transport between the plants, the middleware and Plantline. */
const LATE_DELIVERY = 0.03;
const DUPLICATE_DELIVERY = 0.015;

export class World {
  readonly seed: string;
  readonly tag: string;
  readonly plants: Plant[];
  readonly rate: number;
  readonly origin: number;
  readonly days: number;
  readonly scenario: Scenario;
  readonly rules: WorldRules;
  readonly book = new StockBook();
  /** Transactions that failed at some point: the middleware keeps them, so a replay request finds them. */
  readonly keptForReplay = new Map<string, Transaction>();
  /** Next hour to generate. */
  nextHour: number;

  private seq = 0;
  private readonly counters = new Map<string, number>();
  private readonly ordersPerHour = new Map<string, number>();
  private readonly componentLots = new Map<string, string[]>();
  private readonly dailyUsageMilli = new Map<string, number>();

  constructor(opts: WorldOptions) {
    this.seed = String(opts.seed);
    this.plants = PLANTS.slice(0, Math.max(1, Math.min(PLANTS.length, opts.plants ?? PLANTS.length)));
    this.rate = opts.rate ?? 12;
    this.origin = Math.floor(opts.origin / HOUR) * HOUR;
    this.days = opts.days;
    this.nextHour = this.origin;
    this.tag = shortTag(this.seed, this.origin, this.days, this.plants.length, this.rate);
    this.scenario = buildScenario(this.origin, this.days, this.plants);
    this.rules = new WorldRules(this.scenario, this.plants);

    const totalWeight = this.plants.reduce((s, p) => s + p.weight, 0);
    for (const p of this.plants) {
      const txPerOrder = expectedTransactionsPerOrder(p);
      this.ordersPerHour.set(p.code, (this.rate * 60 * (p.weight / totalWeight)) / txPerOrder / meanActivity(p));
    }
    this.openingStock();
    const adj = this.scenario.adjustment;
    if (adj) {
      const plant = this.plants.find((p) => p.code === adj.plant)!;
      const material = plant.catalogue.materials.find((m) => m.code === adj.material)!;
      const k = this.book.key(adj.plant, adj.storageLocation, material, adj.lot);
      this.book.book('ERP', k.key, adj.at, toMilli(adj.quantity));
    }
  }

  /** Everything that happens in the next hour: the snapshots at its start, then the orders released in it. */
  generateHour(emit: Emit): void {
    const h = this.nextHour;
    this.nextHour += HOUR;
    if (h === this.origin || h % DAY === 0) this.replenish(h);
    this.emitSnapshots(h, emit);
    for (const p of this.plants) {
      const r = rng(this.seed, 'orders', p.code, h);
      const mean = this.ordersPerHour.get(p.code)! * activity(p, h + 30 * MINUTE);
      const releases = Array.from({ length: r.poisson(mean) }, () => h + r.int(1, HOUR - 1)).sort((a, b) => a - b);
      for (const t of releases) this.runOrder(p, t, emit);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Production orders: released by the ERP, executed on the shop floor, received, shipped

  private runOrder(p: Plant, releasedAt: number, emit: Emit) {
    const orderSeq = this.next(`order:${p.code}`);
    const orderNo = `1${p.code.slice(1)}${String(orderSeq).padStart(6, '0')}`;
    const r = rng(this.seed, 'order', p.code, orderNo);
    const run: OrderRun = { ...this.planOrder(p, orderNo, orderSeq, releasedAt, r), r, emit };
    if (!this.release(run)) return; // a plant that did not get the order cannot start it
    this.execute(run);
    const receivedAt = this.receive(run);
    this.hold(run, receivedAt);
    this.dispose(run, receivedAt);
  }

  /** The order as the ERP plans it: product, quantity, lot, operation schedule, components and their lots. */
  private planOrder(p: Plant, orderNo: string, orderSeq: number, releasedAt: number, r: Rng): Omit<OrderRun, 'r' | 'emit'> {
    const cat = p.catalogue;
    const product = r.pick(cat.products);
    const finished = cat.materials.find((m) => m.code === product.material)!;
    const [qMin, qMax, qStep] = cat.orderQty;
    const quantity = qMin + qStep * r.int(0, Math.floor((qMax - qMin) / qStep));

    // an engineering change reached the MES first: it books the new revision, the ERP does not know it yet
    const nm = this.scenario.newMaterial;
    const mesFinished = nm && nm.plant === p.code && finished.code === nm.replaces && releasedAt >= nm.mesFrom ? cat.materials.find((m) => m.code === nm.material)! : finished;

    let t = releasedAt + r.int(10 * MINUTE, 40 * MINUTE);
    const operations = cat.routing.map((o) => {
      const start = t;
      const end = start + r.int(o.minutes[0] * MINUTE, o.minutes[1] * MINUTE);
      t = end + r.int(1 * MINUTE, 15 * MINUTE);
      return { operation: o.operation, workCenter: o.workCenter, description: o.description, start, end };
    });
    const om = this.scenario.obsoleteMaterial;
    const components = product.bom.map((b) => {
      let material = cat.materials.find((m) => m.code === b.component)!;
      if (om && om.plant === p.code && material.code === om.replaces && r.chance(om.share)) {
        // the plant still has old seal kits on the shelf and books them under the old number
        const old = cat.materials.find((m) => m.code === om.material)!;
        if (this.book.plannedQty('MES', this.book.key(p.code, STORAGE.rawMaterials, old, this.lotsOf(p, old)[0]).key) >= toMilli(quantity)) material = old;
      }
      const uom = material.mes?.uom ?? material.uom;
      const inErpUnits = b.perUnit * quantity;
      const q = bookable(material.mes ? inErpUnits / material.mes.erpPerMesUnit : inErpUnits, uom);
      return { material, quantity: q, uom, lot: r.pick(this.lotsOf(p, material)) };
    });
    const lot = `L${p.code.slice(1)}-${localDateCode(releasedAt, p.utcOffsetMinutes)}-${String(orderSeq % 10_000).padStart(4, '0')}`;
    return { plant: p, order: { orderNo, plant: p, material: finished, quantity, lot, releasedAt, operations, components }, mesFinished };
  }

  /** The ERP releases the order to the plant; the shop floor starts when it has it (late, after a WAN outage). */
  private release(run: OrderRun): boolean {
    const { plant: p, order, r } = run;
    if (r.chance(p.failures.routingMissing)) this.rules.routingMissingUntil(order.orderNo, order.releasedAt + r.int(1 * HOUR, 5 * HOUR));
    const release = this.newTx(r, p, 'order_release', order.releasedAt, { order, user: null, quantity: order.quantity, lot: order.lot });
    planOrderRelease(release, this.planContext(r), this.outageEndFor(p.code, order.releasedAt));
    this.publish(release, r, run.emit);
    const released = release.attempts[0].events.find((e) => e.status === 'posted');
    if (!released) return false;
    const delay = Math.max(0, released.reportedAt - order.releasedAt - 5 * MINUTE);
    for (const o of order.operations) {
      o.start += delay;
      o.end += delay;
    }
    return true;
  }

  /** A posting from the plant (nothing leaves a silent plant): planned, booked in stock, scheduled. */
  private plantTx(run: OrderRun, flow: Flow, at: number, d: Omit<TxDraft, 'id' | 'traceId' | 'flow' | 'plant' | 'occurredAt'>) {
    if (isSilent(this.scenario, run.plant.code, at)) return;
    const tx = this.newTx(run.r, run.plant, flow, at, d);
    planErpPosting(tx, this.firstReport(tx, run.r), this.planContext(run.r));
    this.bookStock(tx);
    this.publish(tx, run.r, run.emit);
  }

  /** Components issued when the first operation starts, a damaged one scrapped now and then, each operation confirmed as it ends. */
  private execute(run: OrderRun) {
    const { plant: p, order, r } = run;
    const ops = order.operations;
    let issueAt = ops[0].start + r.int(2 * MINUTE, 10 * MINUTE);
    for (const c of order.components) {
      this.plantTx(run, 'material_issue', issueAt, { order, user: r.pick(p.users), material: c.material, lot: c.lot, storageLocation: STORAGE.rawMaterials, quantity: c.quantity, uom: c.uom, stockSign: -1 });
      issueAt += r.int(20 * SECOND, 4 * MINUTE);
    }
    if (r.chance(0.2)) {
      const c = r.pick(order.components);
      this.plantTx(run, 'scrap', ops[Math.min(1, ops.length - 1)].start + r.int(5 * MINUTE, 20 * MINUTE), {
        order,
        user: r.pick(p.users),
        material: c.material,
        lot: c.lot,
        storageLocation: STORAGE.rawMaterials,
        quantity: c.uom === 'EA' ? r.int(1, 2) : bookable(c.quantity * r.between(0.005, 0.03), c.uom),
        uom: c.uom,
        stockSign: -1,
        postingPeriod: this.maybeBackdated(r, p, ops[0].start),
        extra: { reason_code: r.pick(['0001 damaged in handling', '0003 wrong specification', '0007 contaminated']) },
      });
    }
    ops.forEach((o, i) => {
      // a misconfigured line app sends a unit the routing does not know
      const badUnit = r.chance(p.failures.invalidUnit) ? (order.material.uom === 'EA' ? 'PC' : 'KGM') : undefined;
      this.plantTx(run, 'production_confirmation', o.end + r.int(0, 3 * MINUTE), {
        order,
        user: r.pick(p.users),
        operation: o.operation,
        material: order.material,
        quantity: order.quantity,
        uom: badUnit,
        extra: { final: i === ops.length - 1 },
      });
    });
  }

  /** Goods receipt into the order's lot: sometimes partly at half time, the rest at the end. Returns when the last one happened. */
  private receive(run: OrderRun): number {
    const { plant: p, order, r } = run;
    const ops = order.operations;
    const last = ops[ops.length - 1];
    const receipts: { at: number; q: number }[] = [];
    if (ops.length > 2 && r.chance(0.3)) {
      const first = bookable(order.quantity * 0.4, order.material.uom);
      receipts.push({ at: ops[1].end + r.int(1 * MINUTE, 8 * MINUTE), q: first });
      receipts.push({ at: last.end + r.int(1 * MINUTE, 8 * MINUTE), q: Math.round((order.quantity - first) * 1000) / 1000 });
    } else {
      receipts.push({ at: last.end + r.int(1 * MINUTE, 8 * MINUTE), q: order.quantity });
    }
    // the batch interface sometimes lags: the ERP learns of the lot after its first receipt arrives
    if (r.chance(p.failures.lateBatch)) this.rules.batchCreatedLate(order.lot, receipts[0].at + r.int(30 * MINUTE, 6 * HOUR));
    for (const gr of receipts) {
      this.plantTx(run, 'goods_receipt', gr.at, {
        order,
        user: r.pick(p.users),
        material: run.mesFinished,
        lot: order.lot,
        storageLocation: STORAGE.finishedGoods,
        quantity: gr.q,
        stockSign: 1,
        postingPeriod: this.maybeBackdated(r, p, gr.at),
      });
    }
    return receipts[receipts.length - 1].at;
  }

  /** Quality puts the lot on hold now and then (a stock type change: the quantity does not move). */
  private hold(run: OrderRun, receivedAt: number) {
    const { plant: p, order, r } = run;
    if (!r.chance(0.08)) return;
    this.plantTx(run, 'quality_hold', receivedAt + r.int(10 * MINUTE, 90 * MINUTE), {
      order,
      user: `QM${p.code.slice(1)}-01`,
      material: run.mesFinished,
      lot: order.lot,
      storageLocation: STORAGE.finishedGoods,
      quantity: order.quantity,
      extra: { inspection_lot: `IL${order.orderNo}`, defect_code: r.pick(['D12 porosity', 'D31 dimension out of tolerance', 'D44 viscosity off spec', 'D57 contamination']) },
    });
  }

  /** The lot leaves the plant in one to three movements: shipments to customers, transfers to the distribution centre. */
  private dispose(run: OrderRun, receivedAt: number) {
    const { plant: p, order, r } = run;
    const parts = r.int(1, 3);
    let left = toMilli(order.quantity);
    let at = receivedAt;
    for (let i = 0; i < parts && left > 0; i++) {
      at += r.int(2 * HOUR, 16 * HOUR);
      const share = i === parts - 1 ? left : Math.min(left, toMilli(bookable((order.quantity / parts) * r.between(0.7, 1.2), order.material.uom)));
      left -= share;
      const shipment = r.chance(0.75);
      this.plantTx(run, shipment ? 'shipment' : 'inventory_transfer', at, {
        user: r.pick(p.users),
        material: run.mesFinished,
        lot: order.lot,
        storageLocation: STORAGE.finishedGoods,
        quantity: share / 1000,
        stockSign: -1,
        extra: shipment
          ? { delivery_no: `80${p.code.slice(1)}${String(this.next(`delivery:${p.code}`)).padStart(6, '0')}`, ship_to: r.pick(['C-10021', 'C-10388', 'C-11250', 'C-20417', 'C-30002']) }
          : { to_storage_location: STORAGE.distributionCentre, to_plant: `${p.code}-DC` },
      });
    }
  }

  /** Terminal plants sometimes key a movement with last month's posting date (a correction of last month). */
  private maybeBackdated(r: Rng, p: Plant, at: number): string | undefined {
    return r.chance(p.failures.backdated) ? previousPeriod(periodOf(at)) : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Transactions

  private newTx(r: Rng, p: Plant, flow: Flow, at: number, d: Omit<TxDraft, 'id' | 'traceId' | 'flow' | 'plant' | 'occurredAt'>): Transaction {
    const id = `${p.code}-${flowCode[flow]}-${this.tag}-${String(this.next(`tx:${p.code}`)).padStart(6, '0')}`;
    // An hourly MES extract at HH:00 counts what the MES booked by then; a movement booked on the exact
    // hour mark is booked a millisecond later, after the extract (see firstReport).
    const occurredAt = flow !== 'order_release' && at % HOUR === 0 ? at + 1 : at;
    return transaction({ ...d, id, traceId: hexId(16, this.tag, id), flow, plant: p, occurredAt });
  }

  /**
   * When the first result of a plant's posting is reported. Normally the plant's interface latency,
   * but never past the next hour mark: the hourly MES stock extract waits for the interface outbox
   * to drain, so a movement in an extract has been handed to the middleware by then (what makes MES −
   * ERP exactly the pending, failed and double-posted movements at every snapshot). During a WAN
   * outage nothing leaves the plant: results are reported in the burst after the link is back.
   */
  private firstReport(tx: Transaction, r: Rng): number {
    const p = tx.plant;
    const wan = this.scenario.wanOutage;
    if (wan && inOutage(this.scenario, p.code, tx.occurredAt)) return wan.to + r.int(5 * SECOND, 150 * SECOND);
    const profile = p.latency.accept ?? p.latency.erp;
    const latency = Math.min(10 * MINUTE, Math.max(50, Math.round(r.logNormal(profile.medianMs, profile.sigma))));
    return Math.min(tx.occurredAt + latency, ceilHour(tx.occurredAt));
  }

  private outageEndFor(plant: string, at: number): number | null {
    const wan = this.scenario.wanOutage;
    return wan && wan.plant === plant && at >= wan.from && at < wan.to ? wan.to : null;
  }

  private planContext(r: Rng): PlanContext {
    return { rng: r, rules: this.rules, documentNo: (tx) => this.documentNo(tx) };
  }

  documentNo(tx: Transaction): string {
    if (tx.targetSystem === 'MES') return `WO-${tx.orderNo}`;
    return `49${tx.plant.code.slice(1)}${String(this.next(`doc:${tx.plant.code}`)).padStart(7, '0')}`;
  }

  /** Stock: the MES books the movement when it happens, the ERP with every posted result. */
  bookStock(tx: Transaction, events: TxEvent[] = tx.attempts.flatMap((a) => a.events), withMes = true): void {
    if (!tx.stockKey || tx.stockDeltaMilli === null) return;
    const p = tx.plant;
    const material = p.catalogue.materials.find((m) => m.code === tx.material)!;
    const k = this.book.key(p.code, tx.storageLocation!, material, tx.lot!);
    if (withMes) this.book.book('MES', k.key, tx.occurredAt, tx.stockDeltaMilli);
    for (const e of events) {
      if (e.status === 'posted' && !e.noStockEffect) this.book.book('ERP', k.key, e.reportedAt, tx.stockDeltaMilli * erpUnitsPerPostingUnit(tx));
    }
  }

  /** Schedule the transaction's messages: each posting result (late or twice, sometimes) and each attempt's spans. */
  publish(tx: Transaction, r: Rng, emit: Emit): void {
    let everFailed = false;
    // a span is exported when it ends (the batch processor adds a second or so)
    const root = rootSpanEnd(tx, tx.attempts[0]);
    emit({ kind: 'trace', part: 'root', at: root + r.int(200, 2_000), end: root, seq: this.seq++, tx, attempt: tx.attempts[0] });
    for (const a of tx.attempts) {
      for (const e of a.events) {
        this.scheduleDeliveries(e, r);
        e.deliveries.forEach((at, copy) => emit({ kind: 'posting', at, seq: this.seq++, tx, event: e, copy }));
        if (e.status === 'failed') everFailed = true;
      }
      const end = attemptSpanEnd(a);
      emit({ kind: 'trace', part: 'attempt', at: end + r.int(200, 2_000), end, seq: this.seq++, tx, attempt: a });
    }
    if (everFailed) this.keptForReplay.set(tx.id, tx);
  }

  private scheduleDeliveries(e: TxEvent, r: Rng): void {
    let at = e.reportedAt + r.int(5, 400);
    // a message held up in a partition or a retrying HTTP client arrives after newer ones
    if (r.chance(LATE_DELIVERY)) at += r.int(5 * SECOND, 120 * SECOND);
    e.deliveries = [at];
    // at-least-once transport: the same message (same event_id) arrives again
    if (r.chance(DUPLICATE_DELIVERY)) e.deliveries.push(at + r.int(1 * SECOND, 10 * MINUTE));
  }

  nextSeq(): number {
    return this.seq++;
  }

  private next(counter: string): number {
    const n = (this.counters.get(counter) ?? 0) + 1;
    this.counters.set(counter, n);
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // Stock: opening balances, vendor receipts, snapshots

  /** The components a plant keeps at RM01 (everything in a bill of material, plus an obsolete one), each in two vendor lots. */
  private components(p: Plant): Material[] {
    const codes = new Set(p.catalogue.products.flatMap((pr) => pr.bom.map((b) => b.component)));
    const om = this.scenario.obsoleteMaterial;
    if (om && om.plant === p.code) codes.add(om.material);
    return p.catalogue.materials.filter((m) => codes.has(m.code));
  }

  private lotsOf(p: Plant, m: Material): string[] {
    const key = `${p.code}|${m.code}`;
    let lots = this.componentLots.get(key);
    if (!lots) {
      const i = this.components(p).findIndex((c) => c.code === m.code) + 1;
      const base = `VB-${p.code.slice(1)}${String(i).padStart(2, '0')}`;
      lots = [`${base}A`, `${base}B`];
      this.componentLots.set(key, lots);
    }
    return lots;
  }

  /** Stock at the origin, the same in both systems: ten days of each component, split over its two lots. */
  private openingStock() {
    for (const p of this.plants) {
      const ordersPerDay = this.ordersPerHour.get(p.code)! * meanActivity(p) * 24;
      const [qMin, qMax] = p.catalogue.orderQty;
      for (const m of this.components(p)) {
        const uses = p.catalogue.products.flatMap((pr) => pr.bom.filter((b) => b.component === m.code).map((b) => b.perUnit));
        const perUnit = uses.length ? uses.reduce((s, x) => s + x, 0) / p.catalogue.products.length : 0.02;
        const perDayErpUnits = (perUnit * ((qMin + qMax) / 2) * ordersPerDay) / 2;
        const perDay = bookable(m.mes ? perDayErpUnits / m.mes.erpPerMesUnit : perDayErpUnits, (m.mes?.uom ?? m.uom) as Material['uom']);
        for (const lot of this.lotsOf(p, m)) {
          const k = this.book.key(p.code, STORAGE.rawMaterials, m, lot);
          this.dailyUsageMilli.set(k.key, toMilli(Math.max(1, Math.ceil(perDay))));
          const opening = this.dailyUsageMilli.get(k.key)! * 10;
          this.book.book('MES', k.key, this.origin, opening);
          this.book.book('ERP', k.key, this.origin, opening * k.erpPerMesUnit);
        }
      }
    }
  }

  /** Vendor receipts at midnight UTC: posted in the ERP and mirrored to the MES at the same instant (not a plant posting). */
  private replenish(at: number) {
    const om = this.scenario.obsoleteMaterial;
    for (const k of this.book.keys.values()) {
      const usage = this.dailyUsageMilli.get(k.key);
      if (usage === undefined || (om && k.material.code === om.material)) continue;
      if (isSilent(this.scenario, k.plant, at) || inOutage(this.scenario, k.plant, at)) continue;
      const planned = this.book.plannedQty('MES', k.key);
      if (planned >= usage * 4) continue;
      const receipt = usage * 10 - planned;
      this.book.book('MES', k.key, at, receipt);
      this.book.book('ERP', k.key, at, receipt * k.erpPerMesUnit);
    }
  }

  /**
   * Hourly snapshots of what changed (every key with stock at midnight UTC and at the origin). The MES
   * extract runs over the WAN: while the link is down or the plant is silent there is none.
   */
  private emitSnapshots(at: number, emit: Emit) {
    const full = at === this.origin || at % DAY === 0;
    const wan = this.scenario.wanOutage;
    const include = (plant: string, system: 'MES' | 'ERP') => {
      if (!this.plants.some((p) => p.code === plant)) return false;
      if (system === 'ERP') return true;
      if (wan && wan.plant === plant && at > wan.from && at < wan.to) return false;
      return !(this.scenario.silence && this.scenario.silence.plant === plant && at > this.scenario.silence.from);
    };
    const r = rng(this.seed, 'snapshots', at);
    for (const snapshot of this.book.snapshots(at, this.tag, include, full)) {
      const delay = snapshot.system === 'MES' ? r.int(20 * SECOND, 90 * SECOND) : r.int(60 * SECOND, 180 * SECOND);
      emit({ kind: 'snapshot', at: at + delay, seq: this.seq++, snapshot });
    }
  }
}

/** How many business transactions an order of this plant makes on average (release, issues, confirmations, receipts, scrap, holds, shipments). */
function expectedTransactionsPerOrder(p: Plant): number {
  const components = p.catalogue.products.reduce((s, pr) => s + pr.bom.length, 0) / p.catalogue.products.length;
  const operations = p.catalogue.routing.length;
  return 1 + components + operations + 0.2 + 1.3 + 0.08 + 2;
}

