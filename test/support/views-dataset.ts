// A small, hand-built plant day whose every number was worked out by hand (see the comments), for the
// business views' tests. The view is computed at AT = 2026-11-03T12:00:00Z over the 24 hours before.
//
// Transactions (threshold: the flow's default, P02 shipment overridden to 20 min):
//  T1  P01 goods_receipt   occ 10:00  pending 10:00:05, posted 10:10 (a1)      → posted, 600 000 ms, met, first pass
//  T2  P01 goods_receipt   occ 09:00  failed 09:01 (a1), posted 09:40 (a2)     → posted, 2 400 000 ms, closed breach
//  T3  P01 order_release   occ 08:00  failed 08:00:30 master_data (a1)         → exception since 08:00:30, age 14 370 s, 1-4h, open breach
//  T4  P01 order_release   occ 11:50  pending 11:50:10                         → pending, open breach (10 min > 5)
//  T5  P02 material_issue  occ 11:55  pending 11:55:01                         → pending, within SLA (5 min < 15)
//  T6  P02 scrap           occ 11-02 13:00 failed 13:01, pending 13:30 (a2), failed 13:31 (a2)
//                                                                            → exception since 13:31 (after the last non-failed), age 80 940 s, 4-24h
//  T7  P02 shipment        occ 11:00  posted 11:20, delivered twice            → posted, 1 200 000 ms = threshold 20 min: met
//  T8  P02 shipment        occ 11:05  posted 11:30 and again 11:31 (ERP twice) → posted, 1 500 000 ms > 20 min: closed breach
//  T9  P01 goods_receipt   occ 11:00  pending 11:00:01, posted 12:30 (after AT) → pending at AT, open breach (60 > 15)
//  T10 P01 goods_receipt   occ 11-01 10:00 posted                               → outside the window
//  T11 P02 quality_hold    occ 11:58  pending and failed both at 11:58:30      → tie: failed; exception since 11:58:30, age 90 s, <1h
//  T12 P01 material_issue  occ 10:30  failed 10:31 validation; resolved by hand 11:00 → failed, not open, open breach
import { posting } from './fixtures';

export const AT = '2026-11-03T12:00:00.000Z';

const d = '2026-11-03T';
const ev = (o: Record<string, unknown>) => posting({ source_system: 'MES', target_system: 'ERP', ...o });
const err = (category: string, code: string, message: string, recoverable = true) => ({ code, category, message, recoverable });

export const POSTINGS = [
  // T1: K1 (P01/0001/M-100/L1), +10 EA, posted once
  ev({ event_id: 'e1', correlation_id: 'T1', plant: 'P01', flow: 'goods_receipt', status: 'pending', attempt: 1, occurred_at: `${d}10:00:00Z`, reported_at: `${d}10:00:05Z`, order_no: '4711', material: 'M-100', lot: 'L1', storage_location: '0001', stock_delta: 10, uom: 'EA', quantity: 10 }),
  ev({ event_id: 'e2', correlation_id: 'T1', plant: 'P01', flow: 'goods_receipt', status: 'posted', attempt: 1, occurred_at: `${d}10:00:00Z`, reported_at: `${d}10:10:00Z`, order_no: '4711', material: 'M-100', lot: 'L1', storage_location: '0001', stock_delta: 10, uom: 'EA', quantity: 10, document_no: '5000000001' }),
  // T2: K1, +5 EA, failed then posted once
  ev({ event_id: 'e3', correlation_id: 'T2', plant: 'P01', flow: 'goods_receipt', status: 'failed', attempt: 1, occurred_at: `${d}09:00:00Z`, reported_at: `${d}09:01:00Z`, order_no: '4712', material: 'M-100', lot: 'L1', storage_location: '0001', stock_delta: 5, uom: 'EA', error: err('period_closed', 'M7-021', 'Posting period 2026-10 is closed') }),
  ev({ event_id: 'e4', correlation_id: 'T2', plant: 'P01', flow: 'goods_receipt', status: 'posted', attempt: 2, replay_of: 'e3', occurred_at: `${d}09:00:00Z`, reported_at: `${d}09:40:00Z`, order_no: '4712', material: 'M-100', lot: 'L1', storage_location: '0001', stock_delta: 5, uom: 'EA', document_no: '5000000002' }),
  // T3: failed order release
  ev({ event_id: 'e5', correlation_id: 'T3', plant: 'P01', flow: 'order_release', source_system: 'ERP', target_system: 'MES', status: 'failed', attempt: 1, occurred_at: `${d}08:00:00Z`, reported_at: `${d}08:00:30Z`, order_no: '100200', material: 'M-9', error: err('master_data', 'MES-404', 'Material M-9 is not in the MES master', false) }),
  // T4: pending order release
  ev({ event_id: 'e6', correlation_id: 'T4', plant: 'P01', flow: 'order_release', source_system: 'ERP', target_system: 'MES', status: 'pending', attempt: 1, occurred_at: `${d}11:50:00Z`, reported_at: `${d}11:50:10Z`, order_no: '100201' }),
  // T5
  ev({ event_id: 'e7', correlation_id: 'T5', plant: 'P02', flow: 'material_issue', status: 'pending', attempt: 1, occurred_at: `${d}11:55:00Z`, reported_at: `${d}11:55:01Z` }),
  // T6: K2 (P02/0002/M-200/''), −0.25 KG, failed at the cut-off
  ev({ event_id: 'e8', correlation_id: 'T6', plant: 'P02', flow: 'scrap', status: 'failed', attempt: 1, occurred_at: '2026-11-02T13:00:00Z', reported_at: '2026-11-02T13:01:00Z', material: 'M-200', storage_location: '0002', stock_delta: -0.25, uom: 'KG', error: err('lock_conflict', 'M3-897', 'Material M-200 is locked by user BATCHJOB') }),
  ev({ event_id: 'e9', correlation_id: 'T6', plant: 'P02', flow: 'scrap', status: 'pending', attempt: 2, replay_of: 'e8', occurred_at: '2026-11-02T13:00:00Z', reported_at: '2026-11-02T13:30:00Z', material: 'M-200', storage_location: '0002', stock_delta: -0.25, uom: 'KG' }),
  ev({ event_id: 'e10', correlation_id: 'T6', plant: 'P02', flow: 'scrap', status: 'failed', attempt: 2, replay_of: 'e8', occurred_at: '2026-11-02T13:00:00Z', reported_at: '2026-11-02T13:31:00Z', material: 'M-200', storage_location: '0002', stock_delta: -0.25, uom: 'KG', error: err('timeout', 'GW-504', 'ERP did not answer within 30 s') }),
  // T7: K2, −2 KG, posted once (delivered twice: same event_id)
  ev({ event_id: 'e11', correlation_id: 'T7', plant: 'P02', flow: 'shipment', source_system: 'WMS', status: 'posted', attempt: 1, occurred_at: `${d}11:00:00Z`, reported_at: `${d}11:20:00Z`, material: 'M-200', storage_location: '0002', stock_delta: -2, uom: 'KG', document_no: '8000000011' }),
  // T8: K2, −1.5 KG, the ERP posted it twice
  ev({ event_id: 'e12', correlation_id: 'T8', plant: 'P02', flow: 'shipment', source_system: 'WMS', status: 'posted', attempt: 1, occurred_at: `${d}11:05:00Z`, reported_at: `${d}11:30:00Z`, material: 'M-200', storage_location: '0002', stock_delta: -1.5, uom: 'KG', document_no: '8000000012' }),
  ev({ event_id: 'e13', correlation_id: 'T8', plant: 'P02', flow: 'shipment', source_system: 'WMS', status: 'posted', attempt: 1, occurred_at: `${d}11:05:00Z`, reported_at: `${d}11:31:00Z`, material: 'M-200', storage_location: '0002', stock_delta: -1.5, uom: 'KG', document_no: '8000000013' }),
  // T9: K1, +7 EA, pending at AT (its posting arrives at 12:30)
  ev({ event_id: 'e15', correlation_id: 'T9', plant: 'P01', flow: 'goods_receipt', status: 'pending', attempt: 1, occurred_at: `${d}11:00:00Z`, reported_at: `${d}11:00:01Z`, order_no: '4713', material: 'M-100', lot: 'L1', storage_location: '0001', stock_delta: 7, uom: 'EA' }),
  ev({ event_id: 'e14', correlation_id: 'T9', plant: 'P01', flow: 'goods_receipt', status: 'posted', attempt: 1, occurred_at: `${d}11:00:00Z`, reported_at: `${d}12:30:00Z`, order_no: '4713', material: 'M-100', lot: 'L1', storage_location: '0001', stock_delta: 7, uom: 'EA' }),
  // T10: outside the window
  ev({ event_id: 'e19', correlation_id: 'T10', plant: 'P01', flow: 'goods_receipt', status: 'posted', attempt: 1, occurred_at: '2026-11-01T10:00:00Z', reported_at: '2026-11-01T10:05:00Z' }),
  // T11: a tie at 11:58:30
  ev({ event_id: 'e16', correlation_id: 'T11', plant: 'P02', flow: 'quality_hold', source_system: 'QMS', status: 'pending', attempt: 1, occurred_at: `${d}11:58:00Z`, reported_at: `${d}11:58:30Z`, lot: 'QL-7' }),
  ev({ event_id: 'e17', correlation_id: 'T11', plant: 'P02', flow: 'quality_hold', source_system: 'QMS', status: 'failed', attempt: 1, occurred_at: `${d}11:58:00Z`, reported_at: `${d}11:58:30Z`, lot: 'QL-7', error: err('validation', 'QM-12', 'Inspection lot QL-7 unknown') }),
  // T12: K1, −3 EA, failed at the cut-off (resolved by hand, which does not post it)
  ev({ event_id: 'e18', correlation_id: 'T12', plant: 'P01', flow: 'material_issue', status: 'failed', attempt: 1, occurred_at: `${d}10:30:00Z`, reported_at: `${d}10:31:00Z`, material: 'M-100', lot: 'L1', storage_location: '0001', stock_delta: -3, uom: 'EA', error: err('validation', 'M7-101', 'Unit EA not allowed for M-100') }),
];

/** e11 is delivered a second time (same event_id): it must change nothing. */
export const DUPLICATE_DELIVERIES = [POSTINGS.find((p) => p.event_id === 'e11')!];

// Inventory at the cut-off AT:
//  K1 P01/0001/M-100/L1 (EA): MES 120 (the 12:30 snapshot is after the cut-off), ERP 116 (latest), cost 2.5
//     variance 4 = pending T9 (+7) + failed T12 (−3) + duplicate 0 → residual 0; value 10
//  K2 P02/0002/M-200/'' (ERP KG, MES G, 1 G = 0.001 KG): MES 50 750 G = 50.75 KG, ERP 49.5 KG, cost 4
//     variance 1.25 = failed T6 (−0.25) + duplicate T8 (−(−1.5) = +1.5) → residual 0; value 5
//  K3 P02/0002/M-300/LX (EA): MES 10, ERP 12, cost 7 → variance −2, nothing explains it: residual −2, value −14, unexplained
//  K4 P01/0001/M-400/'': MES in L, ERP in KG, no conversion → no_conversion, no variance
//  K5 P01/0009/M-500/'': ERP only → missing_mes
const snap = (o: Record<string, unknown>) => ({ lot: '', ...o });
export const SNAPSHOTS = [
  snap({ snapshot_id: 's1', plant: 'P01', system: 'MES', storage_location: '0001', material: 'M-100', lot: 'L1', quantity: 120, uom: 'EA', as_of: `${d}11:00:00Z` }),
  snap({ snapshot_id: 's2', plant: 'P01', system: 'MES', storage_location: '0001', material: 'M-100', lot: 'L1', quantity: 999, uom: 'EA', as_of: `${d}12:30:00Z` }),
  snap({ snapshot_id: 's3', plant: 'P01', system: 'ERP', storage_location: '0001', material: 'M-100', lot: 'L1', quantity: 80, uom: 'EA', unit_cost: 2.4, as_of: `${d}10:00:00Z` }),
  snap({ snapshot_id: 's4', plant: 'P01', system: 'ERP', storage_location: '0001', material: 'M-100', lot: 'L1', quantity: 116, uom: 'EA', unit_cost: 2.5, as_of: `${d}11:00:00Z` }),
  snap({ snapshot_id: 's5', plant: 'P02', system: 'MES', storage_location: '0002', material: 'M-200', quantity: 50750, uom: 'G', as_of: `${d}11:30:00Z` }),
  snap({ snapshot_id: 's6', plant: 'P02', system: 'ERP', storage_location: '0002', material: 'M-200', quantity: 49.5, uom: 'KG', unit_cost: 4, as_of: `${d}11:30:00Z` }),
  snap({ snapshot_id: 's7', plant: 'P02', system: 'MES', storage_location: '0002', material: 'M-300', lot: 'LX', quantity: 10, uom: 'EA', as_of: `${d}11:30:00Z` }),
  snap({ snapshot_id: 's8', plant: 'P02', system: 'ERP', storage_location: '0002', material: 'M-300', lot: 'LX', quantity: 12, uom: 'EA', unit_cost: 7, as_of: `${d}11:30:00Z` }),
  snap({ snapshot_id: 's9', plant: 'P01', system: 'MES', storage_location: '0001', material: 'M-400', quantity: 5, uom: 'L', as_of: `${d}11:30:00Z` }),
  snap({ snapshot_id: 's10', plant: 'P01', system: 'ERP', storage_location: '0001', material: 'M-400', quantity: 4, uom: 'KG', unit_cost: 1, as_of: `${d}11:30:00Z` }),
  snap({ snapshot_id: 's11', plant: 'P01', system: 'ERP', storage_location: '0009', material: 'M-500', quantity: 3, uom: 'EA', unit_cost: 1, as_of: `${d}11:30:00Z` }),
];

export const SLA_POLICIES = [{ plant: 'P02', flow: 'shipment', threshold_minutes: 20, changed_by: 'admin', changed_at: '2026-11-01 00:00:00.000' }];

export const UOM_CONVERSIONS = [{ material: 'M-200', from_uom: 'G', to_uom: 'KG', factor: 0.001, changed_at: '2026-01-01 00:00:00.000' }];

export const ACTIONS = [
  { action_id: 'a1', correlation_id: 'T12', plant: 'P01', flow: 'material_issue', occurred_at: '2026-11-03 10:30:00.000', action: 'resolve', actor: 'ana', assignee: '', comment: 'Unit fixed in the material master; posted by hand as 4900000077', details: '', at: '2026-11-03 11:00:00.000' },
  { action_id: 'a2', correlation_id: 'T6', plant: 'P02', flow: 'scrap', occurred_at: '2026-11-02 13:00:00.000', action: 'assign', actor: 'ana', assignee: 'ben', comment: 'lock held by the nightly batch', details: '', at: '2026-11-03 07:00:00.000' },
  // acknowledged before the current failure episode of T3 began? No: T3 failed 08:00:30; this is after it
  { action_id: 'a3', correlation_id: 'T3', plant: 'P01', flow: 'order_release', occurred_at: '2026-11-03 08:00:00.000', action: 'acknowledge', actor: 'ben', assignee: '', comment: '', details: '', at: '2026-11-03 08:30:00.000' },
];

/**
 * Load the day into a store through the real decode path and pipeline. `config` adds the SLA policies,
 * unit conversions and exception actions (tables without an ingest endpoint); `payloads` gives each
 * posting a small payload (for drill-down permission tests).
 */
export async function loadViewsDataset(
  store: import('../../clickhouse/client').Store,
  opts: { config?: boolean; duplicates?: boolean; snapshots?: boolean; payloads?: boolean } = {},
): Promise<void> {
  const { IngestPipeline } = await import('../../ingest/pipeline');
  const { decodeMessage } = await import('../../ingest/decode');
  const { insertRows } = await import('../../clickhouse/client');
  const pipeline = new IngestPipeline(store, { ingest: { batchRows: 1000, flushIntervalMs: 10, maxBufferedRows: 10_000 } }, () => undefined);
  const decode = (stream: 'postings' | 'inventory', list: object[], prefix: string) =>
    list.map((o, i) => {
      const r = decodeMessage(stream, JSON.stringify(o), { source: 'file', position: `${prefix}:${i}` });
      if (!r.ok) throw new Error(`fixture ${prefix}:${i}: ${r.reason}`);
      return r.row;
    });
  const postings = opts.payloads ? POSTINGS.map((p) => ({ ...p, payload: { idoc: `DOC-${p.event_id}` } })) : POSTINGS;
  await pipeline.submitPostings(decode('postings', postings, 'fixture') as never, 'fixture');
  if (opts.duplicates) await pipeline.submitPostings(decode('postings', DUPLICATE_DELIVERIES, 'fixture-again') as never, 'fixture-again');
  if (opts.snapshots !== false) await pipeline.submitInventory(decode('inventory', SNAPSHOTS, 'fixture') as never, 'fixture');
  await pipeline.close();
  if (opts.config) {
    const lines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await insertRows(store, 'sla_policies', null, lines(SLA_POLICIES), 'fixture-sla');
    await insertRows(store, 'uom_conversions', null, lines(UOM_CONVERSIONS), 'fixture-uom');
    await insertRows(store, 'exception_actions', null, lines(ACTIONS), 'fixture-actions');
  }
}
