// The inbound contract (shared/design/CONTRACT.md §1): schemas for posting results and inventory
// snapshots, and their mapping to storage rows. Names and enums here are fixed by the contract.

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

// ---------------------------------------------------------------------------------------------
// Validation. Hand-written rather than a schema library: it runs once per message at tens of
// thousands of messages a second, and its reasons are part of the product (they name the field).
// Each check returns null when the value is fine, or a reason without the field name.

type Check = (v: unknown) => string | null;
const MISSING = Symbol('missing');

const text =
  (max: number, required = true): Check =>
  (v) => {
    if (typeof v !== 'string') return `expected a string, got ${describe(v)}`;
    if (required && v.length === 0) return 'must not be empty';
    if (v.length > max) return `longer than ${max} characters`;
    // JSON can spell half of a UTF-16 surrogate pair (\ud800) that no UTF-8 text can hold: the store
    // refuses the whole batch it is in
    if (!v.isWellFormed()) return 'contains an unpaired UTF-16 surrogate (a \\uD800–\\uDFFF escape without its other half)';
    return null;
  };

const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? null : `expected one of ${values.join(', ')}; got ${describe(v)}`;

const wholeNumber =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `expected a whole number from ${min} to ${max}, got ${describe(v)}`;

const decimal: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < DECIMAL_LIMIT ? null : `expected a number below 1e12 in magnitude, got ${describe(v)}`;

const bool: Check = (v) => (typeof v === 'boolean' ? null : `expected true or false, got ${describe(v)}`);

// Timestamps are checked character by character (this runs twice per message): the shape
// YYYY-MM-DDTHH:MM:SS[.fraction of 1–9 digits](Z|±HH:MM), a date that exists in the calendar, and a
// year the store's DateTime64 keeps (1900–2299; ClickHouse would silently read year 0000 as another date).
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const TIMESTAMP_EXAMPLE = 'expected an ISO-8601 timestamp with an offset, e.g. 2026-11-03T14:05:00.250Z';

/** The number in s[at, at + n) when those are all ASCII digits, else -1. */
function digitsAt(s: string, at: number, n: number): number {
  let value = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

const timestamp: Check = (v) => {
  if (typeof v !== 'string' || v.length < 20) return `${TIMESTAMP_EXAMPLE}; got ${describe(v)}`;
  const year = digitsAt(v, 0, 4);
  const month = digitsAt(v, 5, 2);
  const day = digitsAt(v, 8, 2);
  const hour = digitsAt(v, 11, 2);
  const minute = digitsAt(v, 14, 2);
  const second = digitsAt(v, 17, 2);
  let i = 19;
  if (v.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < v.length && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
    if (i === start || i - start > 9) return `${TIMESTAMP_EXAMPLE}; got ${describe(v)}`;
  }
  const zone = v.charCodeAt(i);
  const offsetHours = digitsAt(v, i + 1, 2);
  const offsetMinutes = digitsAt(v, i + 4, 2);
  const offsetOk =
    zone === 90 /* Z */
      ? i + 1 === v.length
      : (zone === 43 || zone === 45) /* + - */ && i + 6 === v.length && v.charCodeAt(i + 3) === 58 && offsetHours >= 0 && offsetHours <= 23 && offsetMinutes >= 0 && offsetMinutes <= 59;
  if (
    !offsetOk || year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 ||
    v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 /* T */ || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58
  ) {
    return `${TIMESTAMP_EXAMPLE}; got ${describe(v)}`;
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (day > days) return `${describe(v)} is not a calendar date: ${v.slice(0, 7)} has ${days} days`;
  // the bound is on the UTC instant: an offset can carry the edge years' local times across it
  const edge = (year === 1900 || year === 2299) && zone !== 90 && !inStoreRange(Date.parse(v));
  if (year < 1900 || year > 2299 || edge) return `${describe(v)} is outside the years 1900–2299 (UTC) that the store keeps`;
  return null;
};

const STORE_FIRST_MS = Date.UTC(1900, 0, 1);
const STORE_END_MS = Date.UTC(2300, 0, 1);
const inStoreRange = (ms: number) => ms >= STORE_FIRST_MS && ms < STORE_END_MS;

const regex =
  (re: RegExp, expected: string): Check =>
  (v) =>
    typeof v === 'string' && re.test(v) ? null : `expected ${expected}, got ${describe(v)}`;

const jsonObject: Check = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? null : `expected a JSON object, got ${describe(v)}`);

function describe(v: unknown): string {
  if (v === MISSING || v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

type FieldSpec = { check: Check; required: boolean };
type Spec = Record<string, FieldSpec>;
const req = (check: Check): FieldSpec => ({ check, required: true });
const opt = (check: Check): FieldSpec => ({ check, required: false });

const ERROR_SPEC: Spec = {
  code: opt((v) => (typeof v === 'number' ? null : text(128, false)(v))),
  category: req(oneOf(ERROR_CATEGORIES)),
  message: opt(text(8192, false)),
  recoverable: opt(bool),
};

const POSTING_SPEC: Spec = {
  event_id: req(text(128)),
  correlation_id: req(text(128)),
  trace_id: opt(regex(/^[0-9a-fA-F]{32}$/, '32 hex digits (a W3C trace id)')),
  flow: req(oneOf(FLOWS)),
  plant: req(text(32)),
  source_system: req(text(64)),
  target_system: req(text(64)),
  status: req(oneOf(STATUSES)),
  attempt: req(wholeNumber(1, 1_000_000)),
  replay_of: opt(text(128, false)),
  occurred_at: req(timestamp),
  reported_at: req(timestamp),
  order_no: opt(text(128, false)),
  operation: opt(text(128, false)),
  material: opt(text(128, false)),
  lot: opt(text(128, false)),
  storage_location: opt(text(128, false)),
  document_no: opt(text(128, false)),
  posting_period: opt(regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM')),
  quantity: opt(decimal),
  uom: opt(text(32, false)),
  stock_delta: opt(decimal),
  unit_cost: opt(decimal),
  error: opt(jsonObject),
  payload: opt(jsonObject),
};

const INVENTORY_SPEC: Spec = {
  snapshot_id: req(text(128)),
  plant: req(text(32)),
  system: req(oneOf(INVENTORY_SYSTEMS)),
  storage_location: req(text(128)),
  material: req(text(128)),
  lot: opt(text(128, false)),
  quantity: req(decimal),
  uom: req(text(32)),
  unit_cost: opt(decimal),
  as_of: req(timestamp),
};

/** Check an object against a spec; null (and absent) optional fields are fine. */
function checkSpec(obj: Record<string, unknown>, spec: Spec, prefix: string, problems: string[]) {
  for (const name in spec) {
    const { check, required } = spec[name];
    const v = obj[name];
    if (v === undefined || v === null) {
      if (required) problems.push(`field ${prefix}${name}: is required`);
      continue;
    }
    const problem = check(v);
    if (problem) problems.push(`field ${prefix}${name}: ${problem}`);
  }
}

export type Validation<T> = { ok: true; value: T } | { ok: false; reason: string };

export type PostingEvent = {
  event_id: string;
  correlation_id: string;
  trace_id?: string | null;
  flow: Flow;
  plant: string;
  source_system: string;
  target_system: string;
  status: PostingStatus;
  attempt: number;
  replay_of?: string | null;
  occurred_at: string;
  reported_at: string;
  order_no?: string | null;
  operation?: string | null;
  material?: string | null;
  lot?: string | null;
  storage_location?: string | null;
  document_no?: string | null;
  posting_period?: string | null;
  quantity?: number | null;
  uom?: string | null;
  stock_delta?: number | null;
  unit_cost?: number | null;
  error?: { code?: string | number | null; category: string; message?: string | null; recoverable?: boolean | null } | null;
  payload?: Record<string, unknown> | null;
  [extra: string]: unknown;
};

export type InventorySnapshot = {
  snapshot_id: string;
  plant: string;
  system: (typeof INVENTORY_SYSTEMS)[number];
  storage_location: string;
  material: string;
  lot?: string | null;
  quantity: number;
  uom: string;
  unit_cost?: number | null;
  as_of: string;
  [extra: string]: unknown;
};

const reasonOf = (problems: string[]) => problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');

export function validatePostingEvent(obj: Record<string, unknown>): Validation<PostingEvent> {
  const problems: string[] = [];
  checkSpec(obj, POSTING_SPEC, '', problems);
  const error = obj.error;
  if (error !== null && typeof error === 'object' && !Array.isArray(error)) checkSpec(error as Record<string, unknown>, ERROR_SPEC, 'error.', problems);
  else if (obj.status === 'failed' && (error === undefined || error === null)) {
    problems.push('field error: required when status is failed: {code, category, message, recoverable}');
  }
  return problems.length ? { ok: false, reason: reasonOf(problems) } : { ok: true, value: obj as PostingEvent };
}

export function validateInventorySnapshot(obj: Record<string, unknown>): Validation<InventorySnapshot> {
  const problems: string[] = [];
  checkSpec(obj, INVENTORY_SPEC, '', problems);
  return problems.length ? { ok: false, reason: reasonOf(problems) } : { ok: true, value: obj as InventorySnapshot };
}

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

/** UTC with millisecond precision, the text form DateTime64(3, 'UTC') reads. Sub-millisecond digits are cut, not rounded. */
export function toStoreTime(iso: string): string {
  if (iso.length >= 20 && iso.charCodeAt(iso.length - 1) === 90 /* Z */) {
    // already UTC: cut and pad the fraction without a Date round trip (the hot path)
    const dot = iso.indexOf('.', 19);
    const frac = dot === -1 ? '000' : (iso.slice(dot + 1, -1) + '00').slice(0, 3);
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${frac}`;
  }
  return new Date(Date.parse(iso)).toISOString().replace('T', ' ').replace('Z', '');
}

/** The contract's fields of a posting and of a snapshot; any other field is kept as `extra`. */
export const POSTING_FIELDS: readonly string[] = Object.keys(POSTING_SPEC);
export const INVENTORY_FIELDS: readonly string[] = Object.keys(INVENTORY_SPEC);
const POSTING_KEYS = new Set(POSTING_FIELDS);
const INVENTORY_KEYS = new Set(INVENTORY_FIELDS);

function extraFields(obj: Record<string, unknown>, known: Set<string>): string {
  let extra: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    // a null-prototype object: a field named __proto__ is kept as a field, not taken as a prototype
    if (!known.has(k)) (extra ??= Object.create(null) as Record<string, unknown>)[k] = obj[k];
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
    error_code: p.error?.code === undefined || p.error?.code === null ? '' : String(p.error.code),
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
