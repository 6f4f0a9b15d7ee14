// The contract's flows as business messages: what each transaction carries (order, operation,
// material, lot, storage location, quantity, unit, stock effect, cost), the original message kept as
// `payload` for replay, and the posting result (CONTRACT §1.1) each event becomes on the wire.
import type { Flow, PostingEvent } from '../lib/contract';
import { iso, periodOf } from './calendar';
import { fromMilli, toMilli, type Material, type Uom } from './masterdata';
import type { PostingFacts, Transaction, TxEvent } from './model';
import type { Plant } from './plants';

/** A production order as the ERP released it. */
export type ProductionOrder = {
  orderNo: string;
  plant: Plant;
  material: Material;
  quantity: number;
  /** The production lot (batch) the order's goods receipts go into. */
  lot: string;
  releasedAt: number;
  operations: { operation: string; workCenter: string; description: string; start: number; end: number }[];
  components: { material: Material; quantity: number; uom: Uom; lot: string }[];
};

/** Goods movement types (SAP numbering, which most ERPs' integrations still speak). */
export const MOVEMENT: Partial<Record<Flow, string>> = {
  material_issue: '261',
  goods_receipt: '101',
  scrap: '551',
  inventory_transfer: '311',
  shipment: '601',
  quality_hold: '344',
};

export type TxDraft = {
  id: string;
  traceId: string;
  flow: Flow;
  plant: Plant;
  occurredAt: number;
  user: string | null;
  order?: ProductionOrder;
  operation?: string;
  material?: Material;
  lot?: string;
  storageLocation?: string;
  quantity?: number;
  /** The unit the message carries (the plant's unit; a wrong one for the invalid-unit case). */
  uom?: string;
  /** Sign of the stock change this movement makes at (storage location, material, lot): +1, -1, or 0 for none. */
  stockSign?: 1 | -1 | 0;
  /** Posting period, when the operator keyed one different from the month of occurred_at. */
  postingPeriod?: string;
  extra?: Record<string, unknown>;
};

export const inventoryKey = (plant: string, storageLocation: string, material: string, lot: string) => `${plant}|${storageLocation}|${material}|${lot}`;

/** Build a transaction (without attempts) from its business content. */
export function transaction(d: TxDraft): Transaction {
  const toErp = d.flow !== 'order_release';
  const postingPeriod = d.postingPeriod ?? periodOf(d.occurredAt);
  const material = d.material ?? d.order?.material ?? null;
  const plantUom = material?.mes?.uom ?? material?.uom ?? null;
  const uom = d.uom ?? plantUom;
  const unitCost = material ? (material.mes && uom === material.mes.uom ? material.unitCost * material.mes.erpPerMesUnit : material.unitCost) : null;
  const sign = d.stockSign ?? 0;
  const stockDeltaMilli = toErp && sign !== 0 && d.quantity !== undefined ? sign * toMilli(d.quantity) : null;
  const lot = d.lot ?? null;
  const sl = d.storageLocation ?? null;
  const movementType = MOVEMENT[d.flow] ?? null;
  const tx: Transaction = {
    id: d.id,
    flow: d.flow,
    plant: d.plant,
    occurredAt: d.occurredAt,
    sourceSystem: d.flow === 'order_release' ? 'ERP' : d.flow === 'quality_hold' ? 'QMS' : 'MES',
    targetSystem: d.flow === 'order_release' ? 'MES' : 'ERP',
    orderNo: d.order?.orderNo ?? null,
    operation: d.operation ?? null,
    material: material?.code ?? null,
    lot,
    storageLocation: sl,
    quantity: d.quantity ?? null,
    uom,
    stockDeltaMilli,
    unitCost: unitCost === null ? null : Math.round(unitCost * 10_000) / 10_000,
    postingPeriod,
    facts: {
      plant: d.plant.code,
      flow: d.flow,
      material: material?.code ?? null,
      lot,
      uom,
      postingPeriod,
      user: d.user,
      movementType,
      orderNo: d.order?.orderNo ?? null,
    },
    payload: {},
    traceId: d.traceId,
    stockKey: stockDeltaMilli !== null && sl && material && lot ? inventoryKey(d.plant.code, sl, material.code, lot) : null,
    attempts: [],
  };
  tx.payload = businessMessage(tx, d);
  return tx;
}

/** The original business message, as the source system sent it (kept for replay). */
function businessMessage(tx: Transaction, d: TxDraft): Record<string, unknown> {
  const base = { message_id: `${tx.id}`, plant: tx.plant.code, sender: tx.flow === 'order_release' ? 'erp' : tx.plant.service, created_at: iso(tx.occurredAt) };
  const order = d.order;
  switch (tx.flow) {
    case 'order_release':
      return {
        ...base,
        message: 'ProductionOrderRelease',
        order_no: order!.orderNo,
        material: order!.material.code,
        quantity: order!.quantity,
        uom: order!.material.uom,
        batch: order!.lot,
        basic_start: iso(order!.operations[0].start),
        basic_finish: iso(order!.operations[order!.operations.length - 1].end),
        operations: order!.operations.map((o) => ({ operation: o.operation, work_center: o.workCenter, description: o.description })),
        components: order!.components.map((c) => ({ material: c.material.code, quantity: c.quantity, uom: c.uom })),
      };
    case 'production_confirmation':
      return {
        ...base,
        message: 'OperationConfirmation',
        order_no: order!.orderNo,
        operation: tx.operation,
        work_center: order!.operations.find((o) => o.operation === tx.operation)?.workCenter,
        yield: tx.quantity,
        uom: tx.uom,
        final_confirmation: d.extra?.final ?? false,
        posting_period: tx.postingPeriod,
        user: d.user,
      };
    case 'quality_hold':
      return {
        ...base,
        message: 'StockTypeChange',
        movement_type: '344',
        posting_period: tx.postingPeriod,
        user: d.user,
        item: { material: tx.material, batch: tx.lot, storage_location: tx.storageLocation, quantity: tx.quantity, uom: tx.uom, from_stock: 'unrestricted', to_stock: 'blocked' },
        ...d.extra,
      };
    default:
      return {
        ...base,
        message: 'GoodsMovement',
        movement_type: MOVEMENT[tx.flow],
        posting_date: iso(tx.occurredAt).slice(0, 10),
        posting_period: tx.postingPeriod,
        user: d.user,
        item: {
          material: tx.material,
          batch: tx.lot,
          storage_location: tx.storageLocation,
          quantity: tx.quantity,
          uom: tx.uom,
          ...(tx.orderNo ? { order_no: tx.orderNo } : {}),
          ...d.extra,
        },
      };
  }
}

/** How many ERP units one unit of the posting is (the posting carries the plant's unit; only the bag-counted material differs). */
export function erpUnitsPerPostingUnit(tx: Transaction): number {
  const m = tx.plant.catalogue.materials.find((x) => x.code === tx.material);
  return m?.mes && tx.uom === m.mes.uom ? m.mes.erpPerMesUnit : 1;
}

/** A posting result as the contract's JSON object (CONTRACT §1.1). */
export function toPostingEvent(tx: Transaction, ev: TxEvent): PostingEvent {
  const p: PostingEvent = {
    event_id: ev.eventId,
    correlation_id: tx.id,
    trace_id: tx.traceId,
    flow: tx.flow,
    plant: tx.plant.code,
    source_system: tx.sourceSystem,
    target_system: tx.targetSystem,
    status: ev.status,
    attempt: ev.attempt,
    occurred_at: iso(tx.occurredAt),
    reported_at: iso(ev.reportedAt),
    posting_period: tx.postingPeriod,
  };
  if (ev.replayOf) p.replay_of = ev.replayOf;
  if (tx.orderNo) p.order_no = tx.orderNo;
  if (tx.operation) p.operation = tx.operation;
  if (tx.material) p.material = tx.material;
  if (tx.lot) p.lot = tx.lot;
  if (tx.storageLocation) p.storage_location = tx.storageLocation;
  if (ev.documentNo) p.document_no = ev.documentNo;
  if (tx.quantity !== null) p.quantity = tx.quantity;
  if (tx.uom) p.uom = tx.uom;
  if (tx.stockDeltaMilli !== null && !ev.noStockEffect) p.stock_delta = fromMilli(tx.stockDeltaMilli);
  if (tx.unitCost !== null) p.unit_cost = tx.unitCost;
  if (ev.error) p.error = { ...ev.error };
  p.payload = tx.payload;
  return p;
}

/** Read the facts the target judges back from a kept business message (a replay of a transaction this process did not generate). */
export function factsFromPayload(plant: string, flow: Flow, payloadText: string): PostingFacts | null {
  let m: Record<string, any>;
  try {
    m = JSON.parse(payloadText);
  } catch {
    return null;
  }
  if (!m || typeof m !== 'object') return null;
  const item = (m.item ?? {}) as Record<string, any>;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  return {
    plant,
    flow,
    material: str(item.material) ?? str(m.material),
    lot: str(item.batch) ?? str(m.batch),
    uom: str(item.uom) ?? str(m.uom),
    postingPeriod: str(m.posting_period) ?? periodOf(Date.parse(m.created_at ?? '') || Date.now()),
    user: str(m.user),
    movementType: str(m.movement_type),
    orderNo: str(item.order_no) ?? str(m.order_no),
  };
}

