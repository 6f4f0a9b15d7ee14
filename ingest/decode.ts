// Decoding and validation of one inbound message against the contract. Every transport (Kafka, HTTP,
// file) goes through here, so a message gets the same verdict and the same reason whichever way it came.
import {
  INVENTORY_FIELDS,
  MAX_PAYLOAD_BYTES,
  POSTING_FIELDS,
  inventoryToRow,
  postingToRow,
  validateInventorySnapshot,
  validatePostingEvent,
  type InventoryRow,
  type PostingRow,
  type Provenance,
} from '../lib/contract';

export type BusinessStream = 'postings' | 'inventory';

export type Decoded<Row> = { ok: true; row: Row } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → JSON object, or the reason it is not one. */
export function parseJsonObject(bytes: Uint8Array | string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  let text: string;
  if (typeof bytes === 'string') {
    text = bytes;
  } else {
    if (bytes.length === 0) return { ok: false, reason: 'empty message' };
    try {
      text = utf8.decode(bytes);
    } catch {
      return { ok: false, reason: 'not valid UTF-8' };
    }
  }
  if (text.trim() === '') return { ok: false, reason: 'empty message' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
  }
  if (Array.isArray(value)) return { ok: false, reason: 'expected one JSON object, got an array' };
  if (value === null || typeof value !== 'object') return { ok: false, reason: `expected a JSON object, got ${value === null ? 'null' : typeof value}` };
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * The field whose JSON text cannot be written (nested so deep that JSON.stringify runs out of stack,
 * though JSON.parse read it): `payload` or an extra field. Looked for only when writing the row failed.
 */
function unwritableField(value: Record<string, unknown>, known: readonly string[]): string {
  for (const k of ['payload', ...Object.keys(value).filter((k) => !known.includes(k))]) {
    try {
      JSON.stringify(value[k]);
    } catch {
      return k;
    }
  }
  return '(unknown)';
}

/** The row of a validated message, or the reason it cannot be written, naming the field. */
function toRow<T>(value: Record<string, unknown>, known: readonly string[], make: () => T): Decoded<T> {
  try {
    return { ok: true, row: make() };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { ok: false, reason: `field ${unwritableField(value, known)}: nested too deeply to store (${e.message})` };
  }
}

export function validatePosting(value: Record<string, unknown>, from: Provenance): Decoded<PostingRow> {
  const checked = validatePostingEvent(value);
  if (!checked.ok) return checked;
  const made = toRow(value, POSTING_FIELDS, () => postingToRow(checked.value, from));
  if (!made.ok) return made;
  const row = made.row;
  const payloadBytes = Buffer.byteLength(row.payload);
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: `field payload: ${payloadBytes} bytes, larger than the 256 KiB limit` };
  }
  return { ok: true, row };
}

export function validateInventory(value: Record<string, unknown>, from: Provenance): Decoded<InventoryRow> {
  const checked = validateInventorySnapshot(value);
  if (!checked.ok) return checked;
  return toRow(value, INVENTORY_FIELDS, () => inventoryToRow(checked.value, from));
}

export function decodeMessage(stream: 'postings', bytes: Uint8Array | string, from: Provenance): Decoded<PostingRow>;
export function decodeMessage(stream: 'inventory', bytes: Uint8Array | string, from: Provenance): Decoded<InventoryRow>;
export function decodeMessage(stream: BusinessStream, bytes: Uint8Array | string, from: Provenance): Decoded<PostingRow | InventoryRow>;
export function decodeMessage(stream: BusinessStream, bytes: Uint8Array | string, from: Provenance): Decoded<PostingRow | InventoryRow> {
  const json = parseJsonObject(bytes);
  if (!json.ok) return json;
  return validateObject(stream, json.value, from);
}

function validateObject(stream: BusinessStream, value: Record<string, unknown>, from: Provenance): Decoded<PostingRow | InventoryRow> {
  try {
    return stream === 'postings' ? validatePosting(value, from) : validateInventory(value, from);
  } catch (e) {
    // whatever a message does to the code, it is this message's reject, never its batch's end
    return { ok: false, reason: `could not be decoded: ${(e as Error).message}` };
  }
}

export type BodyItem = { line: number; raw: Uint8Array; result: Decoded<PostingRow | InventoryRow> };

/**
 * An HTTP or file body: NDJSON (one object per line) or one JSON array of objects. Each line or
 * element is judged on its own, so one bad line never costs the good ones. Line numbers are 1-based;
 * for an array they count elements.
 */
export function decodeBody(stream: BusinessStream, body: Buffer, position: (line: number) => Provenance): BodyItem[] {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  if (body[i] === 0x5b /* [ */) return decodeArrayBody(stream, body, position);
  const items: BodyItem[] = [];
  let start = 0;
  let line = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    line++;
    let raw = body.subarray(start, end);
    if (raw.length && raw[raw.length - 1] === 0x0d) raw = raw.subarray(0, raw.length - 1);
    if (!isBlank(raw)) items.push({ line, raw, result: decodeMessage(stream, raw, position(line)) });
    start = end + 1;
  }
  return items;
}

function decodeArrayBody(stream: BusinessStream, body: Buffer, position: (line: number) => Provenance): BodyItem[] {
  const whole = parseJsonArray(body);
  if (!whole.ok) return [{ line: 1, raw: body, result: { ok: false, reason: whole.reason } }];
  return whole.value.map((element, index) => {
    const line = index + 1;
    let raw: Buffer;
    try {
      raw = Buffer.from(JSON.stringify(element) ?? 'null');
    } catch (e) {
      // parsed, but too deeply nested to write out again: the reject says so instead of holding the bytes
      raw = Buffer.from(`(element ${line} of the body, not re-encodable: ${(e as Error).message})`);
    }
    const from = position(line);
    let result: Decoded<PostingRow | InventoryRow>;
    if (element === null || typeof element !== 'object' || Array.isArray(element)) {
      result = { ok: false, reason: `element ${line}: expected a JSON object, got ${Array.isArray(element) ? 'an array' : element === null ? 'null' : typeof element}` };
    } else {
      const obj = element as Record<string, unknown>;
      result = validateObject(stream, obj, from);
    }
    return { line, raw, result };
  });
}

function parseJsonArray(body: Buffer): { ok: true; value: unknown[] } | { ok: false; reason: string } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, reason: 'body is a JSON array that is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown[] };
  } catch (e) {
    return { ok: false, reason: `body is not a valid JSON array: ${(e as Error).message}` };
  }
}

function isBlank(raw: Uint8Array): boolean {
  for (const b of raw) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}
