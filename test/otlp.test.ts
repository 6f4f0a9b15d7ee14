// ingest/otlp.ts against real OTLP: spans made with the OpenTelemetry SDK and serialized by the official
// @opentelemetry/otlp-transformer serializers (protobuf and JSON), plus hand-written OTLP/JSON for the
// cases the SDK cannot produce (int64 beyond 2^53, enum names, snake_case keys, ...).
//
//   node --import tsx --test test/otlp.test.ts
//   decode throughput: npm run bench:otlp (scripts/bench-otlp.ts)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import * as api from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type IdGenerator, type ReadableSpan } from '@opentelemetry/sdk-trace';
import protobuf from 'protobufjs';
import * as protojson from 'protobufjs/ext/protojson.js';
import { decodeTraceRequest, encodeTraceResponse, OtlpDecodeError, refusedSpans, sniffOtlpEncoding, type SpanRow } from '../ingest/otlp';
import { buildDescriptor, DESCRIPTOR_FILE, ENTRY_PROTO, PROTO_DIR, renderDescriptorModule } from '../ingest/proto/generate';

// ------------------------------------------------------------------------------------------------
// Fixtures

const REMOTE_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const REMOTE_PARENT_ID = 'b7ad6b7169203331';
const LINKED_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const LINKED_SPAN_ID = '00f067aa0ba902b7';
const SERVER_SPAN_ID = '1111111111111111';
const CHILD_SPAN_ID = '2222222222222222';
const HOUSEKEEPING_SPAN_ID = '3333333333333333';
const HOUSEKEEPING_TRACE_ID = 'a1a2a3a4a5a6a7a8b1b2b3b4b5b6b7b8';

/** Deterministic ids, so the expected rows can spell them out. */
function sequentialIds(): IdGenerator {
  const spanIds = [SERVER_SPAN_ID, CHILD_SPAN_ID, HOUSEKEEPING_SPAN_ID];
  const traceIds = [HOUSEKEEPING_TRACE_ID];
  return {
    generateSpanId: () => spanIds.shift() ?? assert.fail('too many spans'),
    generateTraceId: () => traceIds.shift() ?? assert.fail('too many traces'),
  };
}

/**
 * Three spans from one resource:
 *  - "POST /goods-receipt" (server), child of a remote parent, error status, one event;
 *  - "BAPI_GOODSMVT_CREATE" (client), its child, ok status, one link, complex attribute values;
 *  - "housekeeping" (internal, another tracer), a root span with unset status.
 */
async function recordSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'erp-gateway',
      'process.pid': 4242,
      'mfg.plant': 'P100',
      'mfg.flow': 'goods_receipt',
      'mfg.lot': 'LOT-RES',
    }),
    idGenerator: sequentialIds(),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('plantline.test', '0.1.0');
  const remoteParent = api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: REMOTE_TRACE_ID,
    spanId: REMOTE_PARENT_ID,
    traceFlags: api.TraceFlags.SAMPLED,
    isRemote: true,
    traceState: api.createTraceState('plant=p100,vendor=x'),
  });

  const server = tracer.startSpan(
    'POST /goods-receipt',
    {
      kind: api.SpanKind.SERVER,
      startTime: [1700000000, 123456789],
      attributes: {
        'mfg.correlation_id': 'corr-42',
        'mfg.order_no': '4500012345',
        'mfg.material': 'MAT-7',
        'mfg.flow': 'goods_receipt_retry', // overrides the resource's mfg.flow
        'http.response.status_code': 201,
        'erp.weight_kg': 12.5,
        'erp.final': true,
        'erp.tags': ['urgent', 'manual'],
      },
    },
    remoteParent,
  );
  server.addEvent('erp.retry', { attempt: 2, 'retry.reason': 'timeout' }, [1700000000, 500000001]);
  server.setStatus({ code: api.SpanStatusCode.ERROR, message: 'ERP rejected posting: M7 001' });

  const child = tracer.startSpan(
    'BAPI_GOODSMVT_CREATE',
    {
      kind: api.SpanKind.CLIENT,
      startTime: [1700000000, 200000000],
      attributes: {
        'mfg.lot': 'LOT-CHILD', // overrides the resource's mfg.lot
        'erp.payload_digest': new Uint8Array([1, 2, 3, 255]),
        'erp.result': { code: 0, messages: ['ok', 'posted'], doc: { no: '5000000123', year: 2023 } },
        'erp.mixed': [1, 'a', true, 2.5],
      } as api.Attributes,
      links: [
        {
          context: { traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID, traceFlags: 1, traceState: api.createTraceState('congo=t61rcWkgMzE') },
          attributes: { 'link.reason': 'batch' },
        },
      ],
    },
    api.trace.setSpan(api.ROOT_CONTEXT, server),
  );
  child.setStatus({ code: api.SpanStatusCode.OK });
  child.end([1700000000, 300000000]);
  server.end([1700000001, 100]);

  const housekeeping = provider.getTracer('plantline.housekeeping').startSpan('housekeeping', { startTime: [1700000002, 0] });
  housekeeping.end([1700000002, 5]);

  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, 3);
  return spans;
}

const RESOURCE = {
  'service.name': 'erp-gateway',
  'process.pid': '4242',
  'mfg.plant': 'P100',
  'mfg.flow': 'goods_receipt',
  'mfg.lot': 'LOT-RES',
};

const EXPECTED: Record<string, SpanRow> = {
  'POST /goods-receipt': {
    timestamp: '2023-11-14 22:13:20.123456789',
    trace_id: REMOTE_TRACE_ID,
    span_id: SERVER_SPAN_ID,
    parent_span_id: REMOTE_PARENT_ID,
    trace_state: 'plant=p100,vendor=x',
    span_name: 'POST /goods-receipt',
    span_kind: 'Server',
    service_name: 'erp-gateway',
    resource_attributes: RESOURCE,
    scope_name: 'plantline.test',
    scope_version: '0.1.0',
    span_attributes: {
      'mfg.correlation_id': 'corr-42',
      'mfg.order_no': '4500012345',
      'mfg.material': 'MAT-7',
      'mfg.flow': 'goods_receipt_retry',
      'http.response.status_code': '201',
      'erp.weight_kg': '12.5',
      'erp.final': 'true',
      'erp.tags': '["urgent","manual"]',
    },
    duration_ns: '876543311', // 1700000001.000000100 - 1700000000.123456789
    status_code: 'Error',
    status_message: 'ERP rejected posting: M7 001',
    events_timestamp: ['2023-11-14 22:13:20.500000001'],
    events_name: ['erp.retry'],
    events_attributes: [{ attempt: '2', 'retry.reason': 'timeout' }],
    links_trace_id: [],
    links_span_id: [],
    links_trace_state: [],
    links_attributes: [],
    correlation_id: 'corr-42',
    plant: 'P100', // resource
    flow: 'goods_receipt_retry', // span over resource
    order_no: '4500012345',
    material: 'MAT-7',
    lot: 'LOT-RES', // resource
  },
  BAPI_GOODSMVT_CREATE: {
    timestamp: '2023-11-14 22:13:20.200000000',
    trace_id: REMOTE_TRACE_ID,
    span_id: CHILD_SPAN_ID,
    parent_span_id: SERVER_SPAN_ID,
    trace_state: 'plant=p100,vendor=x',
    span_name: 'BAPI_GOODSMVT_CREATE',
    span_kind: 'Client',
    service_name: 'erp-gateway',
    resource_attributes: RESOURCE,
    scope_name: 'plantline.test',
    scope_version: '0.1.0',
    span_attributes: {
      'mfg.lot': 'LOT-CHILD',
      'erp.payload_digest': 'AQID/w==',
      'erp.result': '{"code":0,"messages":["ok","posted"],"doc":{"no":"5000000123","year":2023}}',
      'erp.mixed': '[1,"a",true,2.5]',
    },
    duration_ns: '100000000',
    status_code: 'Ok',
    status_message: '',
    events_timestamp: [],
    events_name: [],
    events_attributes: [],
    links_trace_id: [LINKED_TRACE_ID],
    links_span_id: [LINKED_SPAN_ID],
    links_trace_state: ['congo=t61rcWkgMzE'],
    links_attributes: [{ 'link.reason': 'batch' }],
    correlation_id: '',
    plant: 'P100',
    flow: 'goods_receipt',
    order_no: '',
    material: '',
    lot: 'LOT-CHILD',
  },
  housekeeping: {
    timestamp: '2023-11-14 22:13:22.000000000',
    trace_id: HOUSEKEEPING_TRACE_ID,
    span_id: HOUSEKEEPING_SPAN_ID,
    parent_span_id: '',
    trace_state: '',
    span_name: 'housekeeping',
    span_kind: 'Internal',
    service_name: 'erp-gateway',
    resource_attributes: RESOURCE,
    scope_name: 'plantline.housekeeping',
    scope_version: '',
    span_attributes: {},
    duration_ns: '5',
    status_code: 'Unset',
    status_message: '',
    events_timestamp: [],
    events_name: [],
    events_attributes: [],
    links_trace_id: [],
    links_span_id: [],
    links_trace_state: [],
    links_attributes: [],
    correlation_id: '',
    plant: 'P100',
    flow: 'goods_receipt',
    order_no: '',
    material: '',
    lot: 'LOT-RES',
  },
};

function byName(rows: SpanRow[]): Record<string, SpanRow> {
  return Object.fromEntries(rows.map((r) => [r.span_name, r]));
}

/** The official protos parsed from source (independently of the generated descriptor), for building odd messages. */
function officialRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string) => path.join(PROTO_DIR, target);
  root.loadSync(ENTRY_PROTO);
  root.resolveAll();
  return root;
}

function rejects(body: Uint8Array | string, encoding: 'protobuf' | 'json', message: RegExp | string): void {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  assert.throws(
    () => decodeTraceRequest(bytes, encoding),
    (e: unknown) => {
      assert.ok(e instanceof OtlpDecodeError, `expected OtlpDecodeError, got ${e}`);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

// ------------------------------------------------------------------------------------------------

describe('decodeTraceRequest with SDK spans and the official serializers', () => {
  let spans: ReadableSpan[];
  let protobufBody: Uint8Array;
  let jsonBody: Uint8Array;
  before(async () => {
    spans = await recordSpans();
    protobufBody = ProtobufTraceSerializer.serializeRequest(spans)!;
    jsonBody = JsonTraceSerializer.serializeRequest(spans)!;
  });

  test('protobuf: every column, exactly', () => {
    const rows = decodeTraceRequest(protobufBody, 'protobuf');
    assert.equal(rows.length, 3);
    assert.deepEqual(byName(rows), EXPECTED);
  });

  test('JSON: the same rows as protobuf', () => {
    const rows = decodeTraceRequest(jsonBody, 'json');
    assert.deepEqual(byName(rows), EXPECTED);
    assert.deepEqual(rows, decodeTraceRequest(protobufBody, 'protobuf'));
  });

  test('ids and times agree with the SDK spans', () => {
    const rows = byName(decodeTraceRequest(protobufBody, 'protobuf'));
    for (const span of spans) {
      const row = rows[span.name];
      assert.equal(row.trace_id, span.spanContext().traceId);
      assert.equal(row.span_id, span.spanContext().spanId);
      assert.equal(row.parent_span_id, span.parentSpanContext?.spanId ?? '');
      const nanos = (t: api.HrTime) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
      assert.equal(row.duration_ns, String(nanos(span.endTime) - nanos(span.startTime)));
    }
  });

  test('sniffOtlpEncoding tells the two apart', () => {
    assert.equal(sniffOtlpEncoding(protobufBody), 'protobuf');
    assert.equal(sniffOtlpEncoding(jsonBody), 'json');
  });

  test('a truncated protobuf request is rejected', () => {
    for (const cut of [1, 2, 3, 10, 100, Math.floor(protobufBody.length / 2), protobufBody.length - 10, protobufBody.length - 1]) {
      rejects(protobufBody.subarray(0, cut), 'protobuf', /^OTLP\/protobuf: not a valid ExportTraceServiceRequest: /);
    }
  });

  test('a truncated JSON request is rejected', () => {
    rejects(jsonBody.subarray(0, jsonBody.length - 1), 'json', /^OTLP\/JSON: invalid JSON: /);
  });

  test('bad ids and missing start times in protobuf are rejected with their path', () => {
    const Request = officialRoot().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    const mutate = (edit: (span: any) => void): Uint8Array => {
      const request = Request.toObject(Request.decode(protobufBody)) as any;
      edit(request.resourceSpans[0].scopeSpans[0].spans[0]);
      return Request.encode(Request.fromObject(request)).finish();
    };
    const at = 'resourceSpans[0].scopeSpans[0].spans[0]';
    rejects(mutate((s) => (s.traceId = new Uint8Array(0))), 'protobuf', `${at}.traceId: expected 16 bytes, got 0`);
    rejects(mutate((s) => (s.traceId = new Uint8Array(8).fill(1))), 'protobuf', `${at}.traceId: expected 16 bytes, got 8`);
    rejects(mutate((s) => (s.traceId = new Uint8Array(16))), 'protobuf', `${at}.traceId: all-zero id is invalid`);
    rejects(mutate((s) => (s.spanId = new Uint8Array(3).fill(7))), 'protobuf', `${at}.spanId: expected 8 bytes, got 3`);
    rejects(mutate((s) => (s.parentSpanId = new Uint8Array(4).fill(7))), 'protobuf', `${at}.parentSpanId: expected 8 bytes, got 4`);
    rejects(mutate((s) => delete s.startTimeUnixNano), 'protobuf', `${at}.startTimeUnixNano: missing (0)`);
    // the first span of the first scope is the client span, which has the link
    rejects(mutate((s) => (s.links[0].spanId = new Uint8Array(0))), 'protobuf', `${at}.links[0].spanId: expected 8 bytes, got 0`);
    // with a handler for refused spans, the bad span alone is left out and the others are kept
    const refused: string[] = [];
    const all = decodeTraceRequest(protobufBody, 'protobuf').length;
    const kept = decodeTraceRequest(mutate((s) => (s.traceId = new Uint8Array(16))), 'protobuf', (reason) => refused.push(reason));
    assert.deepEqual(refused, [`${at}.traceId: all-zero id is invalid`]);
    assert.equal(kept.length, all - 1);
    assert.deepEqual(refusedSpans(refused, kept.length), { rejectedSpans: 1, errorMessage: `1 of ${all} spans rejected: ${at}.traceId: all-zero id is invalid` });
    assert.equal(refusedSpans([], kept.length), null);
    // an all-zero parent id means no parent
    const rows = decodeTraceRequest(mutate((s) => (s.parentSpanId = new Uint8Array(8))), 'protobuf');
    assert.equal(rows[0].parent_span_id, '');
  });
});

describe('OTLP/JSON specifics', () => {
  const doc = {
    resource_spans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'mes' } }, { key: 'mfg.correlation_id', value: { stringValue: 'corr-res' } }] },
        scope_spans: [
          {
            scope: { name: 'hand', version: '1' },
            spans: [
              {
                trace_id: '5B8EFFF798038103D269B633813FC60C',
                span_id: 'EEE19B7EC3C1B174',
                parent_span_id: '',
                trace_state: '',
                name: 'enum-names-and-int64',
                kind: 'SPAN_KIND_PRODUCER',
                start_time_unix_nano: 1700000000000000000, // a JSON number (exactly representable)
                end_time_unix_nano: '1699999999000000000', // before the start
                status: { code: 'STATUS_CODE_OK', message: '' },
                attributes: [
                  { key: 'i64max', value: { intValue: '9223372036854775807' } },
                  { key: 'i64min', value: { int_value: '-9223372036854775808' } },
                  { key: 'neg', value: { intValue: -42 } },
                  { key: 'dbl', value: { doubleValue: 0.1 } },
                  { key: 'dblint', value: { doubleValue: 3 } },
                  { key: 'nan', value: { doubleValue: 'NaN' } },
                  { key: 'bool', value: { boolValue: false } },
                  { key: 'emptystr', value: { stringValue: '' } },
                  { key: 'bytes', value: { bytesValue: 'AQID' } },
                  { key: 'empty', value: {} },
                  { key: '__proto__', value: { stringValue: 'not a prototype' } },
                  {
                    key: 'nested',
                    value: {
                      kvlistValue: {
                        values: [
                          { key: 'big', value: { intValue: '9007199254740993' } },
                          { key: 'inf', value: { doubleValue: '-Infinity' } },
                          { key: 'bin', value: { bytesValue: '/w==' } },
                          { key: 'quote"d', value: { stringValue: 'a"b' } },
                          { key: 'none', value: {} },
                          { key: 'list', value: { arrayValue: { values: [{ intValue: 1 }, { arrayValue: {} }, { kvlistValue: {} }] } } },
                        ],
                      },
                    },
                  },
                ],
                events: [{ timeUnixNano: '1700000000999999999', name: 'e', attributes: [] }],
                links: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: '00f067aa0ba902b7', traceState: 'k=v', flags: 257 }],
                unknownFutureField: { x: 1 },
              },
            ],
          },
        ],
      },
    ],
    someExtension: true,
  };

  const expected: SpanRow = {
    timestamp: '2023-11-14 22:13:20.000000000',
    trace_id: '5b8efff798038103d269b633813fc60c',
    span_id: 'eee19b7ec3c1b174',
    parent_span_id: '',
    trace_state: '',
    span_name: 'enum-names-and-int64',
    span_kind: 'Producer',
    service_name: 'mes',
    resource_attributes: { 'service.name': 'mes', 'mfg.correlation_id': 'corr-res' },
    scope_name: 'hand',
    scope_version: '1',
    span_attributes: Object.defineProperty(
      {
        i64max: '9223372036854775807',
        i64min: '-9223372036854775808',
        neg: '-42',
        dbl: '0.1',
        dblint: '3',
        nan: 'NaN',
        bool: 'false',
        emptystr: '',
        bytes: 'AQID',
        empty: '',
        nested: '{"big":9007199254740993,"inf":"-Infinity","bin":"/w==","quote\\"d":"a\\"b","none":null,"list":[1,[],{}]}',
      } as Record<string, string>,
      '__proto__',
      { value: 'not a prototype', enumerable: true, writable: true, configurable: true },
    ),
    duration_ns: '0',
    status_code: 'Ok',
    status_message: '',
    events_timestamp: ['2023-11-14 22:13:20.999999999'],
    events_name: ['e'],
    events_attributes: [{}],
    links_trace_id: ['5b8efff798038103d269b633813fc60c'],
    links_span_id: ['00f067aa0ba902b7'],
    links_trace_state: ['k=v'],
    links_attributes: [{}],
    correlation_id: 'corr-res',
    plant: '',
    flow: '',
    order_no: '',
    material: '',
    lot: '',
  };

  test('snake_case keys, enum names, int64 strings, hex ids in upper case, unknown fields', () => {
    const rows = decodeTraceRequest(new TextEncoder().encode(JSON.stringify(doc)), 'json');
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0], expected);
    assert.equal(Object.getPrototypeOf(rows[0].span_attributes), Object.prototype);
    // key order is preserved (ClickHouse maps keep insertion order)
    assert.deepEqual(Object.keys(rows[0].span_attributes).slice(0, 3), ['i64max', 'i64min', 'neg']);
  });

  test('the same request as protobuf gives the same row', () => {
    // OTLP/JSON -> standard ProtoJSON (ids hex -> base64) -> message of the official protos -> bytes
    const toBase64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
    const standard = JSON.parse(JSON.stringify(doc));
    const span = standard.resource_spans[0].scope_spans[0].spans[0];
    span.trace_id = toBase64(span.trace_id);
    span.span_id = toBase64(span.span_id);
    span.links[0].traceId = toBase64(span.links[0].traceId);
    span.links[0].spanId = toBase64(span.links[0].spanId);
    const Request = officialRoot().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    const bytes = Request.encode(protojson.fromJson(Request, standard, { ignoreUnknownFields: true })).finish();
    assert.deepEqual(decodeTraceRequest(bytes, 'protobuf'), [expected]);
  });

  test('base64 ids (standard ProtoJSON instead of OTLP/JSON) are accepted', () => {
    const d = JSON.parse(JSON.stringify(doc));
    d.resource_spans[0].scope_spans[0].spans[0].trace_id = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex').toString('base64');
    d.resource_spans[0].scope_spans[0].spans[0].span_id = Buffer.from('eee19b7ec3c1b174', 'hex').toString('base64');
    const [row] = decodeTraceRequest(new TextEncoder().encode(JSON.stringify(d)), 'json');
    assert.equal(row.trace_id, '5b8efff798038103d269b633813fc60c');
    assert.equal(row.span_id, 'eee19b7ec3c1b174');
  });

  test('enums as integers', () => {
    const d = JSON.parse(JSON.stringify(doc));
    Object.assign(d.resource_spans[0].scope_spans[0].spans[0], { kind: 5, status: { code: 2, message: 'x' } });
    const [row] = decodeTraceRequest(new TextEncoder().encode(JSON.stringify(d)), 'json');
    assert.equal(row.span_kind, 'Consumer');
    assert.equal(row.status_code, 'Error');
    assert.equal(row.status_message, 'x');
  });
});

describe('rejections', () => {
  test('garbage bytes', () => {
    rejects(new TextEncoder().encode('this is definitely not protobuf'), 'protobuf', /^OTLP\/protobuf: /);
    let seed = 20240607;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 400) }, () => Math.floor(random() * 256));
      assert.throws(() => decodeTraceRequest(bytes, 'protobuf'), OtlpDecodeError, `random buffer #${i}`);
    }
  });

  test('well-formed protobuf that is not a trace request', async () => {
    // fields other than resource_spans only
    rejects(Uint8Array.from([0x12, 0x03, 0x61, 0x62, 0x63]), 'protobuf', 'OTLP/protobuf: not an ExportTraceServiceRequest: 5 bytes without any resourceSpans (field 1)');
    // an OTLP logs request (same outer shape, different messages inside)
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    provider.getLogger('x').emit({ body: 'posting failed', attributes: { 'mfg.plant': 'P100' }, timestamp: [1700000000, 1] });
    await provider.forceFlush();
    const logs = ProtobufLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())!;
    assert.ok(logs.length > 0);
    assert.throws(() => decodeTraceRequest(logs, 'protobuf'), OtlpDecodeError);
  });

  test('invalid JSON and wrong shapes', () => {
    rejects('{"resourceSpans": [', 'json', /^OTLP\/JSON: invalid JSON: /);
    rejects('', 'json', /^OTLP\/JSON: invalid JSON: /);
    rejects(Uint8Array.from([0x7b, 0xff, 0x7d]), 'json', 'OTLP/JSON: body is not valid UTF-8');
    rejects('null', 'json', 'OTLP/JSON: expected an ExportTraceServiceRequest object, got null');
    rejects('[]', 'json', 'OTLP/JSON: expected an ExportTraceServiceRequest object, got an array');
    rejects('{"resourceSpans": {}}', 'json', 'resourceSpans: expected array: {}');
    rejects('{"resourceSpans": [5]}', 'json', 'resourceSpans[0]: expected object: 5');
    const span = (fields: object) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{}, { spans: [{ traceId: REMOTE_TRACE_ID, spanId: SERVER_SPAN_ID, startTimeUnixNano: '1', ...fields }] }] }] });
    const at = 'resourceSpans[0].scopeSpans[1].spans[0]';
    rejects(span({ name: 5 }), 'json', `${at}.name: expected string: 5`);
    rejects(span({ startTimeUnixNano: 'soon' }), 'json', `${at}.startTimeUnixNano: invalid integer: "soon"`);
    rejects(span({ events: [{ name: 'ok' }, { attributes: [{ key: 'k', value: { intValue: 'x' } }] }] }), 'json', /^resourceSpans\[0\]\.scopeSpans\[1\]\.spans\[0\]\.events\[1\]\.attributes\[0\]\.value\.intValue: invalid integer/);
    rejects(span({ traceId: 'zz' + REMOTE_TRACE_ID.slice(2) }), 'json', /^resourceSpans\[0\]\.scopeSpans\[1\]\.spans\[0\]\.traceId: not a hex string/);
    rejects(span({ traceId: '' }), 'json', `${at}.traceId: expected 32 hex characters, got ""`);
    rejects(span({ spanId: 'abc' }), 'json', `${at}.spanId: expected 16 hex characters, got 3: "abc"`);
    rejects(span({ startTimeUnixNano: undefined }), 'json', `${at}.startTimeUnixNano: missing (0)`);
    rejects(span({ links: [{ traceId: REMOTE_TRACE_ID }] }), 'json', `${at}.links[0].spanId: expected 16 hex characters, got ""`);
  });
});

describe('empty requests', () => {
  test('give no rows', () => {
    assert.deepEqual(decodeTraceRequest(ProtobufTraceSerializer.serializeRequest([])!, 'protobuf'), []);
    assert.deepEqual(decodeTraceRequest(new Uint8Array(0), 'protobuf'), []);
    assert.deepEqual(decodeTraceRequest(JsonTraceSerializer.serializeRequest([])!, 'json'), []);
    assert.deepEqual(decodeTraceRequest(new TextEncoder().encode(' {} '), 'json'), []);
    // a resource with no spans, and a scope with no spans
    assert.deepEqual(decodeTraceRequest(Uint8Array.from([0x0a, 0x00]), 'protobuf'), []);
    assert.deepEqual(decodeTraceRequest(Uint8Array.from([0x0a, 0x02, 0x12, 0x00]), 'protobuf'), []);
  });
});

describe('sniffOtlpEncoding', () => {
  test('JSON when the first non-whitespace byte is "{"', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    assert.equal(sniffOtlpEncoding(enc('{"resourceSpans":[]}')), 'json');
    assert.equal(sniffOtlpEncoding(enc(' \r\n\t{}')), 'json');
    assert.equal(sniffOtlpEncoding(enc('\n{"resourceSpans":[]}\n')), 'json');
    assert.equal(sniffOtlpEncoding(Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), 'json');
    assert.equal(sniffOtlpEncoding(new Uint8Array(0)), 'protobuf');
    assert.equal(sniffOtlpEncoding(enc('[]')), 'protobuf');
    assert.equal(sniffOtlpEncoding(Uint8Array.from([0x0a, 0x00])), 'protobuf');
  });

  test('protobuf whose first resourceSpans is 123 bytes long (0x0a 0x7b = "\\n{") stays protobuf', () => {
    const Request = officialRoot().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    let bytes: Uint8Array = new Uint8Array(0);
    for (let n = 0; n < 200 && bytes[1] !== 0x7b; n++) {
      const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'x'.repeat(n) } }] };
      bytes = Request.encode(Request.fromObject({ resourceSpans: [{ resource }] })).finish();
    }
    assert.deepEqual([bytes[0], bytes[1]], [0x0a, 0x7b]);
    assert.equal(sniffOtlpEncoding(bytes), 'protobuf');
    assert.deepEqual(decodeTraceRequest(bytes, sniffOtlpEncoding(bytes)), []);
  });
});

describe('encodeTraceResponse', () => {
  test('full success is the empty message', () => {
    assert.equal(encodeTraceResponse('protobuf').length, 0);
    assert.deepEqual(ProtobufTraceSerializer.deserializeResponse(encodeTraceResponse('protobuf')), {});
    assert.equal(new TextDecoder().decode(encodeTraceResponse('json')), '{}');
    assert.deepEqual(JsonTraceSerializer.deserializeResponse(encodeTraceResponse('json')), {});
    // 0 rejected and no message is the same as no partial_success (OTLP spec)
    assert.equal(encodeTraceResponse('protobuf', { rejectedSpans: 0, errorMessage: '' }).length, 0);
  });

  test('partial success round-trips through the official deserializers', () => {
    const partial = { rejectedSpans: 3, errorMessage: '3 spans without a start time' };
    assert.deepEqual(ProtobufTraceSerializer.deserializeResponse(encodeTraceResponse('protobuf', partial)), { partialSuccess: partial });
    // ProtoJSON writes int64 as a string
    assert.deepEqual(JsonTraceSerializer.deserializeResponse(encodeTraceResponse('json', partial)), {
      partialSuccess: { rejectedSpans: '3', errorMessage: '3 spans without a start time' },
    });
    // a warning with nothing rejected
    assert.deepEqual(ProtobufTraceSerializer.deserializeResponse(encodeTraceResponse('protobuf', { rejectedSpans: 0, errorMessage: 'slow down' })), {
      partialSuccess: { errorMessage: 'slow down' },
    });
    assert.throws(() => encodeTraceResponse('protobuf', { rejectedSpans: -1, errorMessage: '' }), RangeError);
  });
});

test('the generated descriptor matches the .proto files', () => {
  assert.equal(readFileSync(DESCRIPTOR_FILE, 'utf8'), renderDescriptorModule(buildDescriptor()), 'stale: run npx tsx ingest/proto/generate.ts');
});
