// The contract's validation rules (CONTRACT §1): what a posting or snapshot must carry, and the reason
// given, naming the field, when it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBody, decodeMessage } from '../ingest/decode';
import { posting } from './support/fixtures';

const from = { source: 'http' as const, position: 'http:req:1' };

const reason = (bytes: string | Uint8Array) => {
  const r = decodeMessage('postings', bytes, from);
  assert.equal(r.ok, false, 'expected a reject');
  return (r as { reason: string }).reason;
};

test('times are stored in UTC with milliseconds; sub-millisecond digits are cut', () => {
  const row = (occurred_at: string) => (decodeMessage('postings', JSON.stringify(posting({ occurred_at })), from) as { row: { occurred_at: string } }).row.occurred_at;
  assert.equal(row('2026-11-03T14:05:00Z'), '2026-11-03 14:05:00.000');
  assert.equal(row('2026-11-03T14:05:00.2Z'), '2026-11-03 14:05:00.200');
  assert.equal(row('2026-11-03T14:05:00.123456789Z'), '2026-11-03 14:05:00.123');
  assert.equal(row('2026-11-03T23:30:00.5-02:00'), '2026-11-04 01:30:00.500');
});

test('a valid posting becomes a row in UTC with its defaults filled', () => {
  const r = decodeMessage('postings', JSON.stringify(posting({ quantity: 12.5, uom: 'EA', stock_delta: -12.5, plant_shift: 'B' })), from);
  assert.ok(r.ok);
  const row = r.row as Record<string, unknown>;
  assert.equal(row.occurred_at, '2026-11-03 14:05:00.250');
  // +01:00 offset converted to UTC
  assert.equal(row.reported_at, '2026-11-03 14:05:00.250');
  // posting_period defaults to the UTC month of occurred_at
  assert.equal(row.posting_period, '2026-11');
  assert.equal(row.quantity, 12.5);
  assert.equal(row.stock_delta, -12.5);
  assert.equal(row.unit_cost, null);
  // unknown extra fields are kept, not rejected
  assert.equal(row.extra, '{"plant_shift":"B"}');
  assert.equal(row.source_position, 'http:req:1');
});

test('posting_period defaults to the UTC month, not the local one', () => {
  const r = decodeMessage('postings', JSON.stringify(posting({ occurred_at: '2026-12-01T00:30:00+02:00' })), from);
  assert.ok(r.ok);
  assert.equal((r.row as { posting_period: string }).posting_period, '2026-11');
});

test('a failed posting keeps its error; without one it is rejected', () => {
  const ok = decodeMessage(
    'postings',
    JSON.stringify(posting({ status: 'failed', error: { code: 'M7-021', category: 'period_closed', message: 'Posting period 2026-10 is closed', recoverable: true } })),
    from,
  );
  assert.ok(ok.ok);
  const row = ok.row as Record<string, unknown>;
  assert.deepEqual([row.error_code, row.error_category, row.error_message, row.error_recoverable], ['M7-021', 'period_closed', 'Posting period 2026-10 is closed', true]);
  assert.match(reason(JSON.stringify(posting({ status: 'failed' }))), /^field error: required when status is failed/);
});

test('each kind of bad input gets a reason that names what was wrong', () => {
  assert.equal(reason(''), 'empty message');
  assert.equal(reason(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 'not valid UTF-8');
  assert.match(reason('{"event_id": "e1", "correlation'), /^invalid JSON: /);
  assert.equal(reason('[1,2]'), 'expected one JSON object, got an array');
  assert.equal(reason('42'), 'expected a JSON object, got number');
  const { correlation_id: _omit, ...noCorrelation } = posting();
  assert.equal(reason(JSON.stringify(noCorrelation)), 'field correlation_id: is required');
  assert.equal(
    reason(JSON.stringify(posting({ flow: 'teleport' }))),
    'field flow: expected one of order_release, production_confirmation, material_issue, goods_receipt, scrap, inventory_transfer, quality_hold, shipment; got "teleport"',
  );
  assert.equal(reason(JSON.stringify(posting({ attempt: 'one' }))), 'field attempt: expected a whole number from 1 to 1000000, got "one"');
  assert.equal(reason(JSON.stringify(posting({ attempt: 0 }))), 'field attempt: expected a whole number from 1 to 1000000, got number 0');
  assert.equal(
    reason(JSON.stringify(posting({ occurred_at: '03/11/2026 14:05' }))),
    'field occurred_at: expected an ISO-8601 timestamp with an offset, e.g. 2026-11-03T14:05:00.250Z; got "03/11/2026 14:05"',
  );
  // no offset: ambiguous, so refused
  assert.match(reason(JSON.stringify(posting({ reported_at: '2026-11-03T14:05:00' }))), /^field reported_at: expected an ISO-8601 timestamp with an offset/);
  assert.match(reason(JSON.stringify(posting({ occurred_at: '2026-13-03T14:05:00Z' }))), /^field occurred_at: expected an ISO-8601/);
  assert.match(reason(JSON.stringify(posting({ occurred_at: '2026-11-03T14:05:00.1234567890Z' }))), /^field occurred_at: expected an ISO-8601/);
  assert.match(reason(JSON.stringify(posting({ occurred_at: '2026-11-03T14:05:00+24:00' }))), /^field occurred_at: expected an ISO-8601/);
  assert.match(reason(JSON.stringify(posting({ occurred_at: '2026-11-03t14:05:00Z' }))), /^field occurred_at: expected an ISO-8601/);
  // a date the calendar does not have (the store would refuse it), and a year it cannot keep (the store would read another date)
  assert.equal(reason(JSON.stringify(posting({ occurred_at: '2026-02-29T08:00:00Z' }))), 'field occurred_at: "2026-02-29T08:00:00Z" is not a calendar date: 2026-02 has 28 days');
  assert.equal(reason(JSON.stringify(posting({ reported_at: '2026-04-31T08:00:00+02:00' }))), 'field reported_at: "2026-04-31T08:00:00+02:00" is not a calendar date: 2026-04 has 30 days');
  assert.equal(reason(JSON.stringify(posting({ occurred_at: '0000-01-01T00:00:00Z' }))), 'field occurred_at: "0000-01-01T00:00:00Z" is outside the years 1900–2299 (UTC) that the store keeps');
  // the bound is on the UTC instant: 00:30 at +01:00 on the first day is still 1899 in UTC, 23:30 at −01:00 on the last is 2300
  assert.equal(reason(JSON.stringify(posting({ occurred_at: '1900-01-01T00:30:00+01:00' }))), 'field occurred_at: "1900-01-01T00:30:00+01:00" is outside the years 1900–2299 (UTC) that the store keeps');
  assert.equal(reason(JSON.stringify(posting({ occurred_at: '2299-12-31T23:30:00-01:00' }))), 'field occurred_at: "2299-12-31T23:30:00-01:00" is outside the years 1900–2299 (UTC) that the store keeps');
  // leap days that exist, fractions of 1 to 9 digits, and offsets to ±23:59 are fine
  for (const t of ['2024-02-29T00:00:00Z', '2000-02-29T23:59:59.5Z', '2026-11-03T14:05:00.123456789-23:59', '2299-12-31T23:59:59.999+00:00', '1900-01-01T00:30:00-01:00', '2299-12-31T23:30:00+01:00']) {
    assert.ok(decodeMessage('postings', JSON.stringify(posting({ occurred_at: t })), from).ok, t);
  }
  assert.equal(reason(JSON.stringify(posting({ trace_id: 'xyz' }))), 'field trace_id: expected 32 hex digits (a W3C trace id), got "xyz"');
  assert.equal(reason(JSON.stringify(posting({ posting_period: '2026-13' }))), 'field posting_period: expected YYYY-MM, got "2026-13"');
  assert.equal(reason(JSON.stringify(posting({ event_id: 'e'.repeat(129) }))), 'field event_id: longer than 128 characters');
  assert.equal(reason(JSON.stringify(posting({ plant: '' }))), 'field plant: must not be empty');
  // JSON can spell half a surrogate pair (the store would refuse the batch it is in); a whole pair is text
  assert.equal(JSON.stringify(posting({ order_no: 'A\ud800' })).includes('"A\\ud800"'), true);
  assert.equal(reason(JSON.stringify(posting({ order_no: 'A\ud800' }))), 'field order_no: contains an unpaired UTF-16 surrogate (a \\uD800–\\uDFFF escape without its other half)');
  assert.equal(reason(JSON.stringify(posting({ status: 'failed', error: { code: 'X', category: 'unknown', message: '\udc00 lost' } }))), 'field error.message: contains an unpaired UTF-16 surrogate (a \\uD800–\\uDFFF escape without its other half)');
  assert.ok(decodeMessage('postings', JSON.stringify(posting({ order_no: 'A\ud83d\ude00' })), from).ok);
  assert.equal(reason(JSON.stringify(posting({ quantity: '12' }))), 'field quantity: expected a number below 1e12 in magnitude, got "12"');
  assert.equal(
    reason(JSON.stringify(posting({ status: 'failed', error: { code: 'X', category: 'gremlins' } }))),
    'field error.category: expected one of master_data, period_closed, validation, lock_conflict, timeout, authorization, duplicate, unknown; got "gremlins"',
  );
  // several problems are named together
  assert.equal(reason(JSON.stringify({ event_id: 'e' })), 'field correlation_id: is required; field flow: is required; field plant: is required; field source_system: is required; field target_system: is required; and 4 more');
  assert.match(reason(JSON.stringify(posting({ payload: { blob: 'x'.repeat(256 * 1024) } }))), /^field payload: 262155 bytes, larger than the 256 KiB limit$/);
});

test('a payload of exactly 256 KiB is accepted', () => {
  // {"blob":"…"} is 11 bytes of JSON around the string
  const r = decodeMessage('postings', JSON.stringify(posting({ payload: { blob: 'x'.repeat(256 * 1024 - 11) } })), from);
  assert.ok(r.ok);
});

test('inventory snapshots: system must be MES, ERP or WMS; quantity is required', () => {
  const snap = { snapshot_id: 's1', plant: 'P01', system: 'ERP', storage_location: '0001', material: 'M-100', quantity: 40, uom: 'KG', as_of: '2026-11-03T14:00:00Z' };
  const ok = decodeMessage('inventory', JSON.stringify(snap), from);
  assert.ok(ok.ok);
  assert.equal((ok.row as { lot: string }).lot, '');
  const bad = decodeMessage('inventory', JSON.stringify({ ...snap, system: 'SAP', quantity: undefined }), from);
  assert.equal(bad.ok, false);
  assert.equal((bad as { reason: string }).reason, 'field system: expected one of MES, ERP, WMS; got "SAP"; field quantity: is required');
});

test('an NDJSON body is judged line by line, blank lines skipped, numbers kept', () => {
  const body = Buffer.from([JSON.stringify(posting({ event_id: 'a' })), '', '{oops', JSON.stringify(posting({ event_id: 'b' })) + '\r', ''].join('\n'));
  const items = decodeBody('postings', body, (line) => ({ source: 'http', position: `r:${line}` }));
  assert.deepEqual(
    items.map((i) => [i.line, i.result.ok]),
    [
      [1, true],
      [3, false],
      [4, true],
    ],
  );
});

test('a JSON array body is judged element by element', () => {
  const body = Buffer.from(JSON.stringify([posting({ event_id: 'a' }), 7, posting({ event_id: 'c', flow: 'x' })]));
  const items = decodeBody('postings', body, (line) => ({ source: 'http', position: `r:${line}` }));
  assert.deepEqual(items.map((i) => [i.line, i.result.ok]), [
    [1, true],
    [2, false],
    [3, false],
  ]);
  assert.equal((items[1].result as { reason: string }).reason, 'element 2: expected a JSON object, got number');
});

test('a UTF-8 byte order mark before a message is ignored; bytes that are not UTF-8 are refused', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const r = decodeMessage('postings', Buffer.concat([bom, Buffer.from(JSON.stringify(posting({ material: 'Kühlmittel' })))]), from);
  assert.ok(r.ok);
  assert.equal(r.row.material, 'Kühlmittel');
  // a lone continuation byte inside a string, and an overlong encoding of "/"
  for (const bad of [Buffer.from('{"event_id":"e\x80"}', 'latin1'), Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x7d])]) {
    const x = decodeMessage('postings', bad, from);
    assert.ok(!x.ok);
    assert.equal(x.reason, 'not valid UTF-8');
  }
});

test('a payload nested too deeply to write out again is this message\'s reject, naming the field, never an exception', () => {
  // JSON.parse reads 20,000 levels; JSON.stringify runs out of stack on the way back
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  const text = JSON.stringify(posting({ event_id: 'deep' })).replace(/}$/, `,"payload":{"x":${deep}}}`);
  const r = reason(text);
  assert.match(r, /^field payload: nested too deeply to store \(Maximum call stack size exceeded\)$/);
  const extra = JSON.stringify(posting({ event_id: 'deep-extra' })).replace(/}$/, `,"mes_trace":${deep}}`);
  assert.match(reason(extra), /^field mes_trace: nested too deeply to store/);
  // in a body: the good lines are kept, the deep one answered
  const items = decodeBody('postings', Buffer.from([JSON.stringify(posting({ event_id: 'ok-1' })), text, JSON.stringify(posting({ event_id: 'ok-2' }))].join('\n')), () => from);
  assert.deepEqual(items.map((i) => i.result.ok), [true, false, true]);
  // a JSON array element too deep to re-encode for the reject: said in its place
  const array = decodeBody('postings', Buffer.from(`[${JSON.stringify(posting({ event_id: 'a-1' }))},${text}]`), () => from);
  assert.deepEqual(array.map((i) => i.result.ok), [true, false]);
  assert.match(array[1].raw.toString(), /^\(element 2 of the body, not re-encodable: Maximum call stack size exceeded\)$/);
});

test('an error code is text of at most 128 well-formed characters (or a number); an extra field named __proto__ is kept as a field', () => {
  const failed = (code: unknown) => JSON.stringify(posting({ event_id: 'ec', status: 'failed', error: { code, category: 'validation', message: 'x' } }));
  assert.equal(reason(failed('A\ud800')), 'field error.code: contains an unpaired UTF-16 surrogate (a \\uD800–\\uDFFF escape without its other half)');
  assert.equal(reason(failed('x'.repeat(129))), 'field error.code: longer than 128 characters');
  assert.equal((decodeMessage('postings', failed(4711), from) as { ok: true; row: { error_code: string } }).row.error_code, '4711');
  const proto = JSON.stringify(posting({ event_id: 'proto' })).replace(/}$/, ',"__proto__":{"polluted":true},"line":7}');
  const row = decodeMessage('postings', proto, from);
  assert.ok(row.ok);
  assert.equal(row.row.extra, '{"__proto__":{"polluted":true},"line":7}');
});
