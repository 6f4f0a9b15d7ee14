// Small, hand-built contract messages for tests.

/** A valid posting result; override any field. */
export function posting(overrides: Record<string, unknown> = {}) {
  return {
    event_id: 'evt-1',
    correlation_id: 'P01-GR-000001',
    flow: 'goods_receipt',
    plant: 'P01',
    source_system: 'MES',
    target_system: 'ERP',
    status: 'posted',
    attempt: 1,
    occurred_at: '2026-11-03T14:05:00.250Z',
    reported_at: '2026-11-03T15:05:00.250+01:00',
    ...overrides,
  };
}
