// Status as a coloured pill, the same colours on every page: posted green, pending amber, failed red;
// SLA and exception states follow the same scale.
const LABELS: Record<string, string> = {
  posted: 'posted',
  pending: 'pending',
  failed: 'failed',
  met: 'within SLA',
  closed_breach: 'posted late',
  open_breach: 'open breach',
  open: 'open',
  acknowledged: 'acknowledged',
  assigned: 'assigned',
  resolved: 'resolved',
};

export function StatusBadge({ status, label, testId }: { status: string; label?: string; testId?: string }) {
  return (
    <span className={`badge badge-${status}`} data-testid={testId}>
      {label ?? LABELS[status] ?? status}
    </span>
  );
}

/** SLA state of a transaction that is still running: "open" means within its threshold. */
export function SlaBadge({ state }: { state: string }) {
  if (state === 'open') return <span className="badge badge-plain plain">within SLA so far</span>;
  return <StatusBadge status={state} />;
}

const AGE_CLASS: Record<string, number> = { '<1h': 1, '1-4h': 2, '4-24h': 3, '1-3d': 4, '>3d': 5 };
// every text ≥ 4.5:1 against its badge
const AGE_COLOURS = ['', '#935400', '#9c4a00', '#c42b2b', '#a61d1d', '#7f1414'];

export function AgeBadge({ bucket }: { bucket: string }) {
  const level = AGE_CLASS[bucket] ?? 0;
  return (
    <span className="badge badge-age plain" style={{ color: AGE_COLOURS[level], background: level >= 3 ? '#fde8e8' : '#fff1d9' }}>
      {bucket}
    </span>
  );
}
