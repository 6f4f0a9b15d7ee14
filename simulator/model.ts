// The simulator's own records of what happens: a business transaction, its attempts to post, and the
// posting results each attempt produces. They become contract messages (flows.ts) only on delivery.
import type { ERROR_CATEGORIES, Flow, PostingStatus } from '../lib/contract';
import type { Plant } from './plants';

export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export type ErrorInfo = { code: string; category: ErrorCategory; message: string; recoverable: boolean };

/** One posting result: one observed outcome of one attempt. */
export type TxEvent = {
  eventId: string;
  status: PostingStatus;
  attempt: number;
  replayOf: string | null;
  reportedAt: number;
  error?: ErrorInfo;
  documentNo?: string;
  /**
   * When the message reaches Plantline: usually right after reportedAt, sometimes late (it then arrives
   * after newer events: out of order), and twice for a duplicate delivery (same event_id).
   */
  deliveries: number[];
  /** A posted answer to an idempotent replay of something already posted: it changes no stock. */
  noStockEffect?: boolean;
};

/** One try to post (attempt 1, the middleware's retries, replays requested from Plantline). */
export type Attempt = {
  n: number;
  replayOf: string | null;
  /** When the middleware took the message (pending, or the synchronous call's start). */
  acceptedAt: number;
  /** When the middleware called the target system. */
  calledAt: number;
  /** When the target system finished with it (its span's end); null while it still works on it. */
  targetDoneAt: number | null;
  events: TxEvent[];
  /** The middleware gave up waiting (timeout) at this instant: its span ends here. */
  middlewareDoneAt: number | null;
  /** The target never got the message (plant unreachable): no target span. */
  targetUnreachable?: boolean;
  /** Who asked for this attempt when it is a replay requested from Plantline (not the middleware's own retry). */
  requestedBy?: string;
};

/** Facts about a posting that decide whether the target accepts it (see rules.ts); also read back from a replayed payload. */
export type PostingFacts = {
  plant: string;
  flow: Flow;
  material: string | null;
  lot: string | null;
  uom: string | null;
  postingPeriod: string;
  user: string | null;
  movementType: string | null;
  orderNo: string | null;
};

export type Transaction = {
  /** correlation_id */
  id: string;
  flow: Flow;
  plant: Plant;
  occurredAt: number;
  sourceSystem: string;
  targetSystem: string;
  orderNo: string | null;
  operation: string | null;
  material: string | null;
  lot: string | null;
  storageLocation: string | null;
  /** Business quantity in `uom`. */
  quantity: number | null;
  uom: string | null;
  /** Signed change to the target's stock of (plant, storage location, material, lot), in milli-units of `uom`; null when the posting moves no stock. */
  stockDeltaMilli: number | null;
  unitCost: number | null;
  postingPeriod: string;
  facts: PostingFacts;
  payload: Record<string, unknown>;
  traceId: string;
  /** Inventory key (plant|storage location|material|lot) when it changes ERP stock. */
  stockKey: string | null;
  attempts: Attempt[];
};

export const flowCode: Record<Flow, string> = {
  order_release: 'REL',
  production_confirmation: 'CNF',
  material_issue: 'ISS',
  goods_receipt: 'GR',
  scrap: 'SCR',
  inventory_transfer: 'TRF',
  quality_hold: 'QH',
  shipment: 'SHP',
};

/** Rank for the contract's tie rule: at equal reported_at, posted > failed > pending. */
export const statusRank = (s: PostingStatus): number => (s === 'posted' ? 3 : s === 'failed' ? 2 : 1);

/** The contract's current status over some events: the latest reported_at wins, ties posted > failed > pending. */
export function currentStatus(events: Iterable<{ status: PostingStatus; reportedAt: number }>): PostingStatus | null {
  let best: { status: PostingStatus; reportedAt: number } | null = null;
  for (const e of events) {
    if (!best || e.reportedAt > best.reportedAt || (e.reportedAt === best.reportedAt && statusRank(e.status) > statusRank(best.status))) best = e;
  }
  return best?.status ?? null;
}
