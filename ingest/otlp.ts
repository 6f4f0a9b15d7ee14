// OTLP trace ingest: ExportTraceServiceRequest (OTLP/protobuf or OTLP/JSON) -> rows of the ClickHouse
// `spans` table (clickhouse/migrations/003_spans.sql), and the OTLP/HTTP ExportTraceServiceResponse.
//
// The protobuf work is done by protobuf.js with the official opentelemetry-proto message definitions
// (ingest/proto/opentelemetry/..., v1.7.0), compiled ahead of time into a reflection descriptor
// (ingest/proto/otlp-trace-descriptor.ts, regenerate with `npx tsx ingest/proto/generate.ts`), so
// nothing reads .proto files at runtime and the module bundles as-is in Next.js.
//
// OTLP/JSON goes through protobuf.js's ProtoJSON extension (protobufjs/ext/protojson) against the
// same descriptor, with the one OTLP/JSON deviation from the standard ProtoJSON mapping applied to
// the schema: trace and span ids are hex strings, not base64. ProtoJSON already accepts enums as names
// or integers, 64-bit integers as strings or numbers and camelCase or snake_case keys; unknown keys
// are ignored, as the OTLP spec requires of receivers.
import protobuf from 'protobufjs/light.js';
import * as protojson from 'protobufjs/ext/protojson.js';
import descriptor from './proto/otlp-trace-descriptor';

export type SpanRow = {
  timestamp: string; // start time, UTC, 'YYYY-MM-DD HH:MM:SS.nnnnnnnnn'
  trace_id: string; // 32 lowercase hex
  span_id: string; // 16 lowercase hex
  parent_span_id: string; // '' when none
  trace_state: string;
  span_name: string;
  span_kind: string; // 'Unspecified'|'Internal'|'Server'|'Client'|'Producer'|'Consumer'
  service_name: string; // resource attribute service.name, '' if absent
  resource_attributes: Record<string, string>;
  scope_name: string;
  scope_version: string;
  span_attributes: Record<string, string>;
  duration_ns: string; // end - start in nanoseconds (UInt64 as decimal), '0' if end < start
  status_code: string; // 'Unset'|'Ok'|'Error'
  status_message: string;
  events_timestamp: string[];
  events_name: string[];
  events_attributes: Record<string, string>[];
  links_trace_id: string[];
  links_span_id: string[];
  links_trace_state: string[];
  links_attributes: Record<string, string>[];
  // business keys: span attribute, falling back to the resource attribute, '' when absent
  correlation_id: string; // mfg.correlation_id
  plant: string; // mfg.plant
  flow: string; // mfg.flow
  order_no: string; // mfg.order_no
  material: string; // mfg.material
  lot: string; // mfg.lot
};

/** The request could not be decoded; the message says what was wrong and where. */
export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

export type OtlpEncoding = 'protobuf' | 'json';

// ---------------------------------------------------------------------------------------------
// Schema (built lazily: importing this module costs nothing until the first decode/encode)

const REQUEST = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';
const RESPONSE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse';
const STATUS = 'google.rpc.Status';
const JSON_OPTIONS = { ignoreUnknownFields: true };

type Schema = { request: protobuf.Type; response: protobuf.Type; status: protobuf.Type; jsonRequest: protobuf.Type };
let schema: Schema | undefined;

function getSchema(): Schema {
  if (schema) return schema;
  const root = protobuf.Root.fromJSON(withFlatAnyValue(descriptor));
  root.resolveAll();
  const jsonRoot = protobuf.Root.fromJSON(withHexIds(descriptor));
  jsonRoot.resolveAll();
  memoizeFullNames(jsonRoot);
  schema = { request: root.lookupType(REQUEST), response: root.lookupType(RESPONSE), status: root.lookupType(STATUS), jsonRequest: jsonRoot.lookupType(REQUEST) };
  return schema;
}

function v1Namespace(d: any, pkg: 'common' | 'trace'): any {
  let ns = d;
  for (const name of ['opentelemetry', 'proto', pkg, 'v1']) {
    ns = ns?.nested?.[name];
    if (!ns) throw new Error(`OTLP descriptor: opentelemetry.proto.${pkg}.v1 not found`);
  }
  return ns;
}

/**
 * The binary decoding schema: AnyValue's `oneof value` members become seven proto3 `optional` fields.
 * The wire format is the same (a oneof member and an optional field are both "tag + value when
 * present"), but protobuf.js's oneof setter `delete`s the six other members on every AnyValue it
 * decodes; avoiding that roughly halved protobuf decode time on a 10k-span request.
 * The one difference: were a producer to write two members of the oneof, protobuf says the last
 * one wins, while the reader below takes the first in declaration order.
 */
function withFlatAnyValue(d: protobuf.INamespace): protobuf.INamespace {
  const copy = JSON.parse(JSON.stringify(d));
  const anyValue = v1Namespace(copy, 'common').nested?.AnyValue;
  const members: string[] | undefined = anyValue?.oneofs?.value?.oneof;
  if (!members || members.length !== 7) throw new Error('OTLP descriptor: AnyValue.value oneof not found');
  anyValue.oneofs = {};
  for (const name of members) {
    anyValue.oneofs[`_${name}`] = { oneof: [name] };
    anyValue.fields[name].options = { ...anyValue.fields[name].options, proto3_optional: true };
  }
  return copy;
}

/**
 * OTLP/JSON encodes Span.trace_id/span_id/parent_span_id and Span.Link.trace_id/span_id as hex
 * strings (not base64, unlike ProtoJSON `bytes`): a copy of the descriptor with those fields typed
 * `string` lets ProtoJSON hand them over untouched, to be checked and normalised below.
 */
function withHexIds(d: protobuf.INamespace): protobuf.INamespace {
  const copy = JSON.parse(JSON.stringify(d));
  const span = v1Namespace(copy, 'trace').nested?.Span;
  const link = span?.nested?.Link;
  for (const [type, fields] of [[span, ['traceId', 'spanId', 'parentSpanId']], [link, ['traceId', 'spanId']]] as const) {
    for (const f of fields) {
      if (type?.fields?.[f]?.type !== 'bytes') throw new Error(`OTLP descriptor: Span ${f} is not a bytes field`);
      type.fields[f].type = 'string';
    }
  }
  return copy;
}

/**
 * ProtoJSON reads `fullName` (a getter that walks up the tree and joins the names) for every value it
 * parses; on a schema that never changes again, caching it as an own property more than halves
 * OTLP/JSON decode time. Pure memoisation: same values, no behaviour change.
 */
function memoizeFullNames(ns: protobuf.NamespaceBase): void {
  const pin = (o: protobuf.ReflectionObject) => Object.defineProperty(o, 'fullName', { value: o.fullName, enumerable: false });
  for (const child of ns.nestedArray) {
    pin(child);
    if (child instanceof protobuf.Type) {
      for (const f of child.fieldsArray) pin(f);
      for (const o of child.oneofsArray) pin(o);
    }
    if (child instanceof protobuf.Namespace) memoizeFullNames(child);
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes an ExportTraceServiceRequest into `spans` rows. Throws OtlpDecodeError for a request that is
 * not OTLP; a span that is (an all-zero id, no start time) throws too, unless `onRejectedSpan` is given:
 * then that span alone is left out and handed over with its reason, and the request's other spans are
 * kept (OTLP's partial success).
 * The rows of one ResourceSpans share one `resource_attributes` object: treat rows as read-only.
 */
export function decodeTraceRequest(body: Uint8Array, encoding: OtlpEncoding, onRejectedSpan?: (reason: string) => void): SpanRow[] {
  const s = getSchema();
  if (encoding === 'json') {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      throw new OtlpDecodeError('OTLP/JSON: body is not valid UTF-8');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new OtlpDecodeError(`OTLP/JSON: invalid JSON: ${(e as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new OtlpDecodeError(`OTLP/JSON: expected an ExportTraceServiceRequest object, got ${describeJson(value)}`);
    }
    let request: RequestMsg;
    try {
      request = protojson.fromJson(s.jsonRequest, value, JSON_OPTIONS) as unknown as RequestMsg;
    } catch (e) {
      throw new OtlpDecodeError(locateJsonError(s.jsonRequest, value, '', e as Error));
    }
    return toRows(request, true, onRejectedSpan);
  }
  if (encoding !== 'protobuf') throw new OtlpDecodeError(`unknown OTLP encoding ${JSON.stringify(encoding)}`);
  let request: RequestMsg;
  try {
    request = s.request.decode(asBuffer(body)) as unknown as RequestMsg;
  } catch (e) {
    throw new OtlpDecodeError(`OTLP/protobuf: not a valid ExportTraceServiceRequest: ${(e as Error).message}`);
  }
  // An empty request is zero bytes. Bytes that yield no resourceSpans at all held only fields this
  // message does not have: that is not OTLP (a wrong topic, a different message type, garbage).
  if (body.length > 0 && (request.resourceSpans?.length ?? 0) === 0) {
    throw new OtlpDecodeError(`OTLP/protobuf: not an ExportTraceServiceRequest: ${body.length} bytes without any resourceSpans (field 1)`);
  }
  return toRows(request, false, onRejectedSpan);
}

/**
 * For messages with no content type (Kafka): JSON if the first non-whitespace byte is '{', else
 * protobuf. A protobuf ExportTraceServiceRequest starts with 0x0a ('\n', the tag of field 1), and the
 * length that follows can be 0x7b ('{'); when '{' comes after leading whitespace, the bytes are read
 * as protobuf if they frame exactly as a sequence of field-1 entries.
 */
export function sniffOtlpEncoding(body: Uint8Array): OtlpEncoding {
  let i = 0;
  const n = body.length;
  if (n >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) i = 3; // UTF-8 BOM
  const start = i;
  while (i < n && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  if (i >= n || body[i] !== 0x7b) return 'protobuf';
  if (i === start || body[0] !== 0x0a) return 'json';
  return framesAsRequest(body) ? 'protobuf' : 'json';
}

/** True if `body` is exactly a sequence of (tag 0x0a, varint length, payload) entries. */
function framesAsRequest(body: Uint8Array): boolean {
  let pos = 0;
  const n = body.length;
  while (pos < n) {
    if (body[pos++] !== 0x0a) return false;
    let len = 0;
    let shift = 0;
    for (;;) {
      if (pos >= n || shift > 28) return false;
      const b = body[pos++];
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    pos += len;
  }
  return pos === n;
}

/**
 * Encodes the ExportTraceServiceResponse for OTLP/HTTP in the request's encoding. Without `partial`
 * (or with 0 rejected and no message, which the spec makes equivalent) it is the empty message:
 * zero bytes for protobuf, `{}` for JSON.
 */
export function encodeTraceResponse(encoding: OtlpEncoding, partial?: { rejectedSpans: number; errorMessage: string }): Uint8Array {
  const s = getSchema();
  const message: { partialSuccess?: { rejectedSpans: number; errorMessage: string } } = {};
  if (partial && (partial.rejectedSpans !== 0 || partial.errorMessage !== '')) {
    const { rejectedSpans, errorMessage } = partial;
    if (!Number.isSafeInteger(rejectedSpans) || rejectedSpans < 0) {
      throw new RangeError(`rejectedSpans must be a non-negative integer, got ${rejectedSpans}`);
    }
    message.partialSuccess = { rejectedSpans, errorMessage: String(errorMessage ?? '') };
  }
  if (encoding === 'json') {
    return new TextEncoder().encode(protojson.toJsonString(s.response, message));
  }
  return s.response.encode(message).finish();
}

/**
 * The body of an OTLP/HTTP 4xx or 5xx answer: a `google.rpc.Status` in the request's encoding (the
 * specification's rule), with the gRPC code of the problem and its developer-facing message.
 */
export function encodeErrorStatus(encoding: OtlpEncoding, code: number, message: string): Uint8Array {
  const s = getSchema();
  const status = { code, message };
  if (encoding === 'json') return new TextEncoder().encode(protojson.toJsonString(s.status, status));
  return s.status.encode(status).finish();
}

/**
 * decodeTraceRequest keeping the valid spans of a request: their rows, and OTLP's partial success for the
 * spans left out (null when none was). What HTTP and Kafka ingest both use. Throws for a request that is
 * not OTLP.
 */
export function decodeValidSpans(body: Uint8Array, encoding: OtlpEncoding): { rows: SpanRow[]; partial: { rejectedSpans: number; errorMessage: string } | null } {
  const refused: string[] = [];
  const rows = decodeTraceRequest(body, encoding, (reason) => refused.push(reason));
  return { rows, partial: refusedSpans(refused, rows.length) };
}

/**
 * OTLP's partial success for spans left out of a request (decodeTraceRequest's onRejectedSpan), or null
 * when none was: how many, and their reasons (the first few) in one message.
 */
export function refusedSpans(reasons: string[], kept: number): { rejectedSpans: number; errorMessage: string } | null {
  if (reasons.length === 0) return null;
  const shown = reasons.slice(0, 5).join('; ');
  const more = reasons.length > 5 ? `; and ${reasons.length - 5} more` : '';
  return { rejectedSpans: reasons.length, errorMessage: `${reasons.length} of ${reasons.length + kept} spans rejected: ${shown}${more}` };
}

// ---------------------------------------------------------------------------------------------
// Decoded message shapes. Binary decoding yields protobuf.js Message instances (unset fields read
// as their defaults from the prototype); ProtoJSON yields a Message at the top and plain objects
// below it (unset fields absent). The code below reads both.

type Int64 = { low: number; high: number; unsigned?: boolean } | number | string | bigint;
type Id = Uint8Array | string; // bytes (protobuf) or hex string (OTLP/JSON)
type AnyValueMsg = {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: { values?: (AnyValueMsg | null)[] } | null;
  kvlistValue?: { values?: KeyValueMsg[] } | null;
  bytesValue?: Uint8Array | null;
};
type KeyValueMsg = { key?: string; value?: AnyValueMsg | null };
type EventMsg = { timeUnixNano?: Int64 | null; name?: string; attributes?: KeyValueMsg[] };
type LinkMsg = { traceId?: Id; spanId?: Id; traceState?: string; attributes?: KeyValueMsg[] };
type SpanMsg = {
  traceId?: Id;
  spanId?: Id;
  traceState?: string;
  parentSpanId?: Id;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Int64 | null;
  endTimeUnixNano?: Int64 | null;
  attributes?: KeyValueMsg[];
  events?: EventMsg[];
  links?: LinkMsg[];
  status?: { message?: string; code?: number } | null;
};
type ScopeSpansMsg = { scope?: { name?: string; version?: string } | null; spans?: SpanMsg[] };
type ResourceSpansMsg = { resource?: { attributes?: KeyValueMsg[] } | null; scopeSpans?: ScopeSpansMsg[] };
type RequestMsg = { resourceSpans?: ResourceSpansMsg[] };

// ---------------------------------------------------------------------------------------------
// Rows

const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODES = ['Unset', 'Ok', 'Error'];
const EMPTY: readonly never[] = [];

/**
 * Note: the rows of one ResourceSpans share one `resource_attributes` object; treat rows as
 * read-only (or copy before mutating).
 */
function toRows(request: RequestMsg, hexIds: boolean, onRejectedSpan?: (reason: string) => void): SpanRow[] {
  const rows: SpanRow[] = [];
  const resourceSpans = request.resourceSpans ?? EMPTY;
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r];
    const resourceAttributes = attributesToRecord(rs.resource?.attributes);
    const serviceName = resourceAttributes['service.name'] ?? '';
    const scopeSpans = rs.scopeSpans ?? EMPTY;
    for (let c = 0; c < scopeSpans.length; c++) {
      const ss = scopeSpans[c];
      const scopeName = ss.scope?.name ?? '';
      const scopeVersion = ss.scope?.version ?? '';
      const spans = ss.spans ?? EMPTY;
      for (let k = 0; k < spans.length; k++) {
        const span = spans[k];
        let row: SpanRow;
        try {
          row = toRow(span, r, c, k, { resourceAttributes, serviceName, scopeName, scopeVersion });
        } catch (e) {
          if (!(e instanceof OtlpDecodeError) || !onRejectedSpan) throw e;
          onRejectedSpan(e.message);
          continue;
        }
        rows.push(row);
      }
    }
  }
  return rows;

  function toRow(
    span: SpanMsg,
    r: number,
    c: number,
    k: number,
    { resourceAttributes, serviceName, scopeName, scopeVersion }: { resourceAttributes: Record<string, string>; serviceName: string; scopeName: string; scopeVersion: string },
  ): SpanRow {
    const traceId = idToHex(span.traceId, 16, hexIds, false, r, c, k, -1, 'traceId');
    const spanId = idToHex(span.spanId, 8, hexIds, false, r, c, k, -1, 'spanId');
    const parentSpanId = idToHex(span.parentSpanId, 8, hexIds, true, r, c, k, -1, 'parentSpanId');
    const start = toUint64(span.startTimeUnixNano);
    if (start === 0n) throw new OtlpDecodeError(`${spanPath(r, c, k)}.startTimeUnixNano: missing (0)`);
    const end = toUint64(span.endTimeUnixNano);

    const spanAttributes = attributesToRecord(span.attributes);

    const events = span.events ?? EMPTY;
    const eventsTimestamp = new Array<string>(events.length);
    const eventsName = new Array<string>(events.length);
    const eventsAttributes = new Array<Record<string, string>>(events.length);
    for (let e = 0; e < events.length; e++) {
      const ev = events[e];
      eventsTimestamp[e] = formatTimestamp(toUint64(ev.timeUnixNano));
      eventsName[e] = ev.name ?? '';
      eventsAttributes[e] = attributesToRecord(ev.attributes);
    }

    const links = span.links ?? EMPTY;
    const linksTraceId = new Array<string>(links.length);
    const linksSpanId = new Array<string>(links.length);
    const linksTraceState = new Array<string>(links.length);
    const linksAttributes = new Array<Record<string, string>>(links.length);
    for (let l = 0; l < links.length; l++) {
      const link = links[l];
      linksTraceId[l] = idToHex(link.traceId, 16, hexIds, false, r, c, k, l, 'traceId');
      linksSpanId[l] = idToHex(link.spanId, 8, hexIds, false, r, c, k, l, 'spanId');
      linksTraceState[l] = link.traceState ?? '';
      linksAttributes[l] = attributesToRecord(link.attributes);
    }

    const status = span.status;
    return {
      timestamp: formatTimestamp(start),
      trace_id: traceId,
      span_id: spanId,
      parent_span_id: parentSpanId,
      trace_state: span.traceState ?? '',
      span_name: span.name ?? '',
      span_kind: SPAN_KINDS[span.kind ?? 0] ?? 'Unspecified',
      service_name: serviceName,
      resource_attributes: resourceAttributes,
      scope_name: scopeName,
      scope_version: scopeVersion,
      span_attributes: spanAttributes,
      duration_ns: end > start ? (end - start).toString() : '0',
      status_code: STATUS_CODES[status?.code ?? 0] ?? 'Unset',
      status_message: status?.message ?? '',
      events_timestamp: eventsTimestamp,
      events_name: eventsName,
      events_attributes: eventsAttributes,
      links_trace_id: linksTraceId,
      links_span_id: linksSpanId,
      links_trace_state: linksTraceState,
      links_attributes: linksAttributes,
      correlation_id: spanAttributes['mfg.correlation_id'] ?? resourceAttributes['mfg.correlation_id'] ?? '',
      plant: spanAttributes['mfg.plant'] ?? resourceAttributes['mfg.plant'] ?? '',
      flow: spanAttributes['mfg.flow'] ?? resourceAttributes['mfg.flow'] ?? '',
      order_no: spanAttributes['mfg.order_no'] ?? resourceAttributes['mfg.order_no'] ?? '',
      material: spanAttributes['mfg.material'] ?? resourceAttributes['mfg.material'] ?? '',
      lot: spanAttributes['mfg.lot'] ?? resourceAttributes['mfg.lot'] ?? '',
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Ids

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));
const ZERO_HEX: Record<number, string> = { 16: '0'.repeat(32), 8: '0'.repeat(16) };

/**
 * An id as lowercase hex. Protobuf: exactly `size` bytes. OTLP/JSON: 2*size hex digits (either
 * case); base64 of `size` bytes (the standard ProtoJSON mapping, which some exporters send by
 * mistake) is accepted too - its length never collides with the hex one. All-zero ids are invalid
 * (OTLP spec); an empty or all-zero parent id means "no parent".
 * `r, c, k` (and `l` for a link, else -1) locate the span for the error message.
 */
function idToHex(
  v: Id | null | undefined,
  size: 16 | 8,
  hexIds: boolean,
  optional: boolean,
  r: number,
  c: number,
  k: number,
  l: number,
  field: string,
): string {
  let hex: string;
  if (hexIds) {
    const s = typeof v === 'string' ? v : '';
    if (s.length === 0) {
      if (optional) return '';
      throw idError(r, c, k, l, field, `expected ${size * 2} hex characters, got ""`);
    }
    if (s.length === size * 2) {
      hex = normaliseHex(s);
      if (hex === '') throw idError(r, c, k, l, field, `not a hex string: ${JSON.stringify(s)}`);
    } else {
      const bytes = base64Id(s, size);
      if (!bytes) throw idError(r, c, k, l, field, `expected ${size * 2} hex characters, got ${s.length}: ${JSON.stringify(s.slice(0, 80))}`);
      hex = bytesToHex(bytes);
    }
  } else {
    const len = v == null ? 0 : (v as Uint8Array).length;
    if (len === 0 && optional) return '';
    if (len !== size) throw idError(r, c, k, l, field, `expected ${size} bytes, got ${len}`);
    hex = bytesToHex(v as Uint8Array);
  }
  if (hex === ZERO_HEX[size]) {
    if (optional) return '';
    throw idError(r, c, k, l, field, 'all-zero id is invalid');
  }
  return hex;
}

function idError(r: number, c: number, k: number, l: number, field: string, what: string): OtlpDecodeError {
  return new OtlpDecodeError(`${spanPath(r, c, k)}${l >= 0 ? `.links[${l}]` : ''}.${field}: ${what}`);
}

function spanPath(r: number, c: number, k: number): string {
  return `resourceSpans[${r}].scopeSpans[${c}].spans[${k}]`;
}

function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX_BYTE[b[i]];
  return s;
}

/** Lowercase copy of a hex string, or '' if it has a non-hex character. */
function normaliseHex(s: string): string {
  let upper = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
    if (c >= 65 && c <= 70) {
      upper = true;
      continue;
    }
    return '';
  }
  return upper ? s.toLowerCase() : s;
}

function base64Id(s: string, size: number): Uint8Array | undefined {
  const padded = Math.ceil(size / 3) * 4; // 24 for 16 bytes, 12 for 8 bytes
  const unpadded = Math.ceil((size * 4) / 3); // 22, 11
  if (s.length !== padded && s.length !== unpadded) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ||
      c === 43 || c === 47 || c === 45 || c === 95 || (c === 61 && i >= unpadded);
    if (!ok) return undefined;
  }
  const std = s.replace(/-/g, '+').replace(/_/g, '/');
  const out = new Uint8Array(size + 2);
  let n: number;
  try {
    n = protobuf.util.base64.decode(std, out, 0);
  } catch {
    return undefined;
  }
  return n === size ? out.subarray(0, size) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Integers and timestamps (exact: 64-bit values go through BigInt, never through a double)

const TWO_POW_32 = 4294967296;

function toUint64(v: Int64 | null | undefined): bigint {
  if (v == null) return 0n;
  if (typeof v === 'object') return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : BigInt.asUintN(64, BigInt(Math.trunc(v) || 0));
  return BigInt.asUintN(64, BigInt(v));
}

function int64ToString(v: Int64): string {
  if (typeof v === 'object') {
    const hi = v.high | 0;
    const lo = v.low >>> 0;
    if (v.unsigned) return ((BigInt(hi >>> 0) << 32n) | BigInt(lo)).toString();
    // |value| < 2^53: exact as a double
    if (hi >= -0x200000 && hi < 0x200000) return String(hi * TWO_POW_32 + lo);
    return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo)).toString();
  }
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : BigInt(Math.trunc(v)).toString();
  return String(v);
}

const NS_PER_S = 1_000_000_000n;
const NINE_ZEROS = '000000000';
let cachedSecond = -1;
let cachedPrefix = '';

/** Unix nanoseconds -> 'YYYY-MM-DD HH:MM:SS.nnnnnnnnn' (UTC). */
function formatTimestamp(ns: bigint): string {
  const secBig = ns / NS_PER_S;
  const frac = String(Number(ns - secBig * NS_PER_S));
  const sec = Number(secBig); // < 2^35 for any uint64, so exact
  if (sec !== cachedSecond) {
    const iso = new Date(sec * 1000).toISOString(); // 'YYYY-MM-DDTHH:MM:SS.000Z'; uint64 ns stays < year 2555
    cachedPrefix = iso.slice(0, 10) + ' ' + iso.slice(11, 19) + '.';
    cachedSecond = sec;
  }
  return cachedPrefix + NINE_ZEROS.slice(frac.length) + frac;
}

// ---------------------------------------------------------------------------------------------
// Attributes

function attributesToRecord(kvs: KeyValueMsg[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!kvs) return out;
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    const key = kv.key ?? '';
    const value = anyValueToString(kv.value);
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value; // duplicate keys: the last one wins
  }
  return out;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Which member of the AnyValue oneof is set: the first one present as an own property. Binary
 * decoding (see withFlatAnyValue) assigns only the members on the wire (unset ones read defaults
 * from the prototype); ProtoJSON objects carry only the members given.
 */
function anyValueCase(av: AnyValueMsg): string | undefined {
  if (hasOwn.call(av, 'stringValue')) return 'stringValue';
  if (hasOwn.call(av, 'intValue')) return 'intValue';
  if (hasOwn.call(av, 'boolValue')) return 'boolValue';
  if (hasOwn.call(av, 'doubleValue')) return 'doubleValue';
  if (hasOwn.call(av, 'arrayValue')) return 'arrayValue';
  if (hasOwn.call(av, 'kvlistValue')) return 'kvlistValue';
  if (hasOwn.call(av, 'bytesValue')) return 'bytesValue';
  return undefined;
}

/** AnyValue -> column string: scalars as text, bytes as base64, arrays and kvlists as compact JSON. */
function anyValueToString(av: AnyValueMsg | null | undefined): string {
  if (av == null) return '';
  switch (anyValueCase(av)) {
    case 'stringValue':
      return av.stringValue as string;
    case 'boolValue':
      return av.boolValue ? 'true' : 'false';
    case 'intValue':
      return int64ToString(av.intValue as Int64);
    case 'doubleValue':
      return String(av.doubleValue);
    case 'bytesValue':
      return base64(av.bytesValue as Uint8Array);
    case 'arrayValue':
    case 'kvlistValue':
      return anyValueToJson(av);
    default:
      return '';
  }
}

/** AnyValue -> JSON text; int64 keeps all its digits, non-finite doubles become strings. */
function anyValueToJson(av: AnyValueMsg | null | undefined): string {
  if (av == null) return 'null';
  switch (anyValueCase(av)) {
    case 'stringValue':
      return JSON.stringify(av.stringValue);
    case 'boolValue':
      return av.boolValue ? 'true' : 'false';
    case 'intValue':
      return int64ToString(av.intValue as Int64);
    case 'doubleValue': {
      const d = av.doubleValue as number;
      return Number.isFinite(d) ? String(d) : `"${d}"`;
    }
    case 'bytesValue':
      return `"${base64(av.bytesValue as Uint8Array)}"`;
    case 'arrayValue': {
      const values = av.arrayValue?.values ?? EMPTY;
      let s = '[';
      for (let i = 0; i < values.length; i++) s += (i ? ',' : '') + anyValueToJson(values[i]);
      return s + ']';
    }
    case 'kvlistValue': {
      const values = av.kvlistValue?.values ?? EMPTY;
      let s = '{';
      for (let i = 0; i < values.length; i++) s += (i ? ',' : '') + JSON.stringify(values[i].key ?? '') + ':' + anyValueToJson(values[i].value);
      return s + '}';
    }
    default:
      return 'null';
  }
}

function base64(b: Uint8Array): string {
  return protobuf.util.base64.encode(b, 0, b.length);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A Node Buffer view of the bytes (no copy): protobuf.js then decodes strings natively. */
function asBuffer(body: Uint8Array): Uint8Array {
  if (typeof Buffer === 'undefined' || Buffer.isBuffer(body)) return body;
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/**
 * ProtoJSON errors name the field but not the element; find the innermost message that fails on
 * its own to give a path like `resourceSpans[0].scopeSpans[1].spans[3].name: expected string: 5`.
 * (Error path only: it re-parses sub-messages.)
 */
function locateJsonError(type: protobuf.Type, value: unknown, path: string, err: Error): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const field of type.fieldsArray) {
      const sub = field.resolvedType;
      if (!(sub instanceof protobuf.Type)) continue;
      const v = obj[field.name] ?? obj[field.protoName ?? field.name] ?? obj[(field as { jsonName?: string }).jsonName ?? field.name];
      if (v == null) continue;
      const at = path ? `${path}.${field.name}` : field.name;
      if (field.repeated) {
        if (!Array.isArray(v)) break;
        for (let i = 0; i < v.length; i++) {
          if (v[i] === null) continue;
          try {
            protojson.fromJson(sub, v[i], JSON_OPTIONS);
          } catch (e) {
            return locateJsonError(sub, v[i], `${at}[${i}]`, e as Error);
          }
        }
      } else {
        try {
          protojson.fromJson(sub, v, JSON_OPTIONS);
        } catch (e) {
          return locateJsonError(sub, v, at, e as Error);
        }
      }
    }
  }
  // ProtoJSON messages read '<.full.Type.Name>[.field]: what: value'
  const name = type.fullName;
  const msg = err.message;
  const here = path || 'request';
  if (msg.startsWith(name + '.')) return `${path ? path + '.' : ''}${msg.slice(name.length + 1)}`;
  if (msg.startsWith(name + ':')) return `${here}${msg.slice(name.length)}`;
  return `${here}: ${msg}`;
}
