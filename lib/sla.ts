// SLA thresholds (CONTRACT §3): the defaults per flow, in minutes. A plant may override a flow's
// threshold (table sla_policies); queries/slaThresholds.ts renders the thresholds in force as SQL.
import type { Flow } from './contract';

export const DEFAULT_SLA_MINUTES: Record<Flow, number> = {
  order_release: 5,
  quality_hold: 5,
  production_confirmation: 15,
  material_issue: 15,
  goods_receipt: 15,
  scrap: 30,
  inventory_transfer: 30,
  shipment: 60,
};

/**
 * The smallest threshold in force anywhere: a plant's override is whole minutes (sla_policies is UInt32)
 * and 0 means the flow's default (queries/transactions.ts thresholdSql), so no threshold is below one
 * minute. The SLA rollup (migration 014) leaves out transactions posted within it: they can never be a
 * breach, whatever threshold is in force at a request's `at`.
 */
export const MIN_SLA_MINUTES = 1;
/** The largest: a week. */
export const MAX_SLA_MINUTES = 10_080;

/** SLA states of a transaction (queries/transactions.ts slaStateSql). */
export const SLA_STATES = ['met', 'closed_breach', 'open_breach', 'open'] as const;
/** The SLA states a compliance ratio counts (CONTRACT §3): posted (met or late) and open breaches. */
export const SLA_COUNTED: (typeof SLA_STATES)[number][] = ['met', 'closed_breach', 'open_breach'];

/** Exception aging buckets, in the contract's order, with their upper bounds in seconds. */
export const AGING_BUCKETS = [
  { bucket: '<1h', below: 3600 },
  { bucket: '1-4h', below: 4 * 3600 },
  { bucket: '4-24h', below: 24 * 3600 },
  { bucket: '1-3d', below: 72 * 3600 },
  { bucket: '>3d', below: Infinity },
] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number]['bucket'];
/** The buckets of exceptions open 4 hours or more (what turns a plant red), and those under 4 hours. */
export const AGING_4H_OR_MORE: AgingBucket[] = AGING_BUCKETS.filter((b) => b.below > 4 * 3600).map((b) => b.bucket);
export const AGING_UNDER_4H: AgingBucket[] = AGING_BUCKETS.filter((b) => b.below <= 4 * 3600).map((b) => b.bucket);
