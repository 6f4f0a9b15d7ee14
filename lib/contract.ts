// The inbound contract (shared/design/CONTRACT.md §1): schemas for posting results and inventory
// snapshots, and their mapping to storage rows. Names and enums here are fixed by the contract.
import { z } from 'zod';

export const FLOWS = [
  'order_release',
  'production_confirmation',
  'material_issue',
  'goods_receipt',
  'scrap',
  'inventory_transfer',
  'quality_hold',
  'shipment',
] as const;
export type Flow = (typeof FLOWS)[number];

export const STATUSES = ['pending', 'posted', 'failed'] as const;
export type PostingStatus = (typeof STATUSES)[number];

export const ERROR_CATEGORIES = [
  'master_data',
  'period_closed',
  'validation',
  'lock_conflict',
  'timeout',
  'authorization',
  'duplicate',
  'unknown',
] as const;

export const INVENTORY_SYSTEMS = ['MES', 'ERP', 'WMS'] as const;

export const TOPICS = {
  postings: 'plantline.postings.v1',
  inventory: 'plantline.inventory.v1',
  spans: 'otlp_spans',
  replay: 'plantline.replay.v1',
  dlq: 'plantline.dlq.v1',
} as const;

/** The largest `payload` a posting may carry, measured as JSON text. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

// Decimal(18, 6) in storage: 12 integer digits.
const DECIMAL_LIMIT = 1e12;

const timestamp = z.iso.datetime({ offset: true, error: 'expected an ISO-8601 timestamp with an offset, e.g. 2026-11-03T14:05:00.250Z' });
const optionalText = (max: number) => z.string().max(max).nullish();
const quantity = z
  .number()
  .refine((n) => Number.isFinite(n) && Math.abs(n) < DECIMAL_LIMIT, { message: `expected a finite number below ${DECIMAL_LIMIT}` });

const postingError = z.object({
  code: z.union([z.string(), z.number()]).transform(String).nullish(),
  category: z.enum(ERROR_CATEGORIES),
  message: z.string().max(8192).nullish(),
  recoverable: z.boolean().nullish(),
});

export const postingSchema = z
  .object({
    event_id: z.string().min(1).max(128),
    correlation_id: z.string().min(1).max(128),
    trace_id: z
      .string()
      .regex(/^[0-9a-fA-F]{32}$/, 'expected 32 hex digits (a W3C trace id)')
      .nullish(),
    flow: z.enum(FLOWS),
    plant: z.string().min(1).max(32),
    source_system: z.string().min(1).max(64),
    target_system: z.string().min(1).max(64),
    status: z.enum(STATUSES),
    attempt: z.number().int().min(1).max(1_000_000),
    replay_of: optionalText(128),
    occurred_at: timestamp,
    reported_at: timestamp,
    order_no: optionalText(128),
    operation: optionalText(128),
    material: optionalText(128),
    lot: optionalText(128),
    storage_location: optionalText(128),
    document_no: optionalText(128),
    posting_period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM').nullish(),
    quantity: quantity.nullish(),
    uom: optionalText(32),
    stock_delta: quantity.nullish(),
    unit_cost: quantity.nullish(),
    error: postingError.nullish(),
    payload: z.record(z.string(), z.unknown()).nullish(),
  })
  .loose()
  .superRefine((p, ctx) => {
    if (p.status === 'failed' && !p.error) {
      ctx.addIssue({ code: 'custom', path: ['error'], message: 'required when status is failed: {code, category, message, recoverable}' });
    }
  });
export type PostingEvent = z.infer<typeof postingSchema>;

export const inventorySchema = z
  .object({
    snapshot_id: z.string().min(1).max(128),
    plant: z.string().min(1).max(32),
    system: z.enum(INVENTORY_SYSTEMS),
    storage_location: z.string().min(1).max(128),
    material: z.string().min(1).max(128),
    lot: optionalText(128),
    quantity,
    uom: z.string().min(1).max(32),
    unit_cost: quantity.nullish(),
    as_of: timestamp,
  })
  .loose();
export type InventorySnapshot = z.infer<typeof inventorySchema>;

/** Storage row of `postings` (see clickhouse/migrations/001_postings.sql). */
export type PostingRow = {
  event_id: string;
  correlation_id: string;
  trace_id: string;
  flow: string;
  plant: string;
  source_system: string;
  target_system: string;
  status: string;
  attempt: number;
  replay_of: string;
  occurred_at: string;
  reported_at: string;
  order_no: string;
  operation: string;
  material: string;
  lot: string;
  storage_location: string;
  document_no: string;
  posting_period: string;
  quantity: number | null;
  uom: string;
  stock_delta: number | null;
  unit_cost: number | null;
  error_code: string;
  error_category: string;
  error_message: string;
  error_recoverable: boolean | null;
  payload: string;
  extra: string;
  source: string;
  source_position: string;
};

/** Storage row of `inventory_snapshots`. */
export type InventoryRow = {
  snapshot_id: string;
  plant: string;
  system: string;
  storage_location: string;
  material: string;
  lot: string;
  quantity: number;
  uom: string;
  unit_cost: number | null;
  as_of: string;
  extra: string;
  source: string;
  source_position: string;
};

export type Provenance = { source: 'kafka' | 'http' | 'file'; position: string };

/** UTC with millisecond precision, the text form DateTime64(3, 'UTC') reads. */
export function toStoreTime(iso: string): string {
  return new Date(Date.parse(iso)).toISOString().replace('T', ' ').replace('Z', '');
}

const POSTING_KEYS = new Set(Object.keys(postingSchema.shape ?? {}));
const INVENTORY_KEYS = new Set(Object.keys(inventorySchema.shape));

function extraFields(obj: Record<string, unknown>, known: Set<string>): string {
  let extra: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) (extra ??= {})[k] = obj[k];
  }
  return extra ? JSON.stringify(extra) : '';
}

export function postingToRow(p: PostingEvent, from: Provenance): PostingRow {
  const occurred = toStoreTime(p.occurred_at);
  return {
    event_id: p.event_id,
    correlation_id: p.correlation_id,
    trace_id: (p.trace_id ?? '').toLowerCase(),
    flow: p.flow,
    plant: p.plant,
    source_system: p.source_system,
    target_system: p.target_system,
    status: p.status,
    attempt: p.attempt,
    replay_of: p.replay_of ?? '',
    occurred_at: occurred,
    reported_at: toStoreTime(p.reported_at),
    order_no: p.order_no ?? '',
    operation: p.operation ?? '',
    material: p.material ?? '',
    lot: p.lot ?? '',
    storage_location: p.storage_location ?? '',
    document_no: p.document_no ?? '',
    posting_period: p.posting_period ?? occurred.slice(0, 7),
    quantity: p.quantity ?? null,
    uom: p.uom ?? '',
    stock_delta: p.stock_delta ?? null,
    unit_cost: p.unit_cost ?? null,
    error_code: p.error?.code ?? '',
    error_category: p.error?.category ?? '',
    error_message: p.error?.message ?? '',
    error_recoverable: p.error?.recoverable ?? null,
    payload: p.payload ? JSON.stringify(p.payload) : '',
    extra: extraFields(p as Record<string, unknown>, POSTING_KEYS),
    source: from.source,
    source_position: from.position,
  };
}

export function inventoryToRow(s: InventorySnapshot, from: Provenance): InventoryRow {
  return {
    snapshot_id: s.snapshot_id,
    plant: s.plant,
    system: s.system,
    storage_location: s.storage_location,
    material: s.material,
    lot: s.lot ?? '',
    quantity: s.quantity,
    uom: s.uom,
    unit_cost: s.unit_cost ?? null,
    as_of: toStoreTime(s.as_of),
    extra: extraFields(s as Record<string, unknown>, INVENTORY_KEYS),
    source: from.source,
    source_position: from.position,
  };
}

/** Zod issues as one sentence a person can act on: which field, what was expected. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const field = issue.path.length ? issue.path.join('.') : '(message)';
      const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
      return `field ${field}: ${missing ? 'is required' : issue.message}`;
    })
    .join('; ');
}
