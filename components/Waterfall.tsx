// A transaction's spans as a waterfall, one block per trace: each span on its own row under its
// parent, its bar placed on the trace's time axis, coloured by the system (service.name) it ran in,
// outlined red when it ended in error.
import type { TransactionSpan } from '@/queries/getTransaction';
import { fmtDuration, fmtUtc } from './format';

const SERVICE_COLOURS: [RegExp, string][] = [
  [/^erp/i, '#4f46e5'],
  [/^middleware|^cpi|^pi-|^mulesoft|^gateway/i, '#0e7490'],
  [/^mes/i, '#7c3aed'],
  [/^wms/i, '#db2777'],
  [/^qms/i, '#0f766e'],
  [/^scada/i, '#9333ea'],
];
const FALLBACK = ['#475569', '#2563eb', '#be185d', '#0f766e', '#6d28d9'];

export function serviceColour(service: string): string {
  const known = SERVICE_COLOURS.find(([re]) => re.test(service));
  if (known) return known[1];
  let h = 0;
  for (const c of service) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return FALLBACK[h % FALLBACK.length];
}

type Row = TransactionSpan & { depth: number; startMs: number };

/** Depth-first order: each span right under its parent, siblings by start time. */
function treeOrder(spans: TransactionSpan[]): Row[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, TransactionSpan[]>();
  for (const s of spans) {
    const parent = s.parent_span_id && ids.has(s.parent_span_id) ? s.parent_span_id : '';
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: Row[] = [];
  const walk = (parent: string, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => Date.parse(a.start) - Date.parse(b.start))) {
      out.push({ ...s, depth, startMs: Date.parse(s.start) });
      walk(s.span_id, depth + 1);
    }
  };
  walk('', 0);
  return out;
}

export function Waterfall({ spans }: { spans: TransactionSpan[] }) {
  const traces = [...new Set(spans.map((s) => s.trace_id))]
    .map((id) => ({ id, rows: treeOrder(spans.filter((s) => s.trace_id === id)) }))
    .sort((a, b) => (a.rows[0]?.startMs ?? 0) - (b.rows[0]?.startMs ?? 0));
  const services = [...new Set(spans.map((s) => s.service_name))];
  return (
    <div data-testid="waterfall">
      <div className="card-body" style={{ paddingBottom: '0.5rem' }}>
        <div className="svc-legend">
          {services.map((s) => (
            <span key={s} data-testid="waterfall-service">
              <i style={{ background: serviceColour(s) }} />
              {s}
            </span>
          ))}
        </div>
      </div>
      {traces.map(({ id, rows }) => {
        const start = Math.min(...rows.map((r) => r.startMs));
        const end = Math.max(...rows.map((r) => r.startMs + r.duration_ms));
        const total = Math.max(end - start, 1);
        const errors = rows.filter((r) => r.status_code === 'Error' || r.status_code === 'STATUS_CODE_ERROR').length;
        return (
          <div className="waterfall" key={id}>
            <div className="wf-trace">
              Trace <span className="mono">{id}</span> · started {fmtUtc(new Date(start).toISOString(), 'MMM d, HH:mm:ss.SSS')} UTC · {fmtDuration(total)} · {rows.length} span{rows.length === 1 ? '' : 's'}
              {errors > 0 && <span className="tag tag-red" style={{ marginLeft: '0.5rem' }}>{errors} with error</span>}
            </div>
            <div className="wf-head">
              <div>System · operation</div>
              <div className="wf-axis">
                <span>0</span>
                <span>{fmtDuration(total / 2)}</span>
                <span>{fmtDuration(total)}</span>
              </div>
            </div>
            {rows.map((r) => {
              const left = ((r.startMs - start) / total) * 100;
              const width = Math.max((r.duration_ms / total) * 100, 0.3);
              const isError = r.status_code === 'Error' || r.status_code === 'STATUS_CODE_ERROR';
              const tip = `${r.service_name} · ${r.span_name}\nstart ${fmtUtc(r.start, 'HH:mm:ss.SSS')} UTC · ${fmtDuration(r.duration_ms)}${r.span_kind ? ` · ${r.span_kind}` : ''}${isError ? `\nerror: ${r.status_message}` : ''}`;
              return (
                <div className="wf-row" key={r.span_id} data-testid="waterfall-span" title={tip}>
                  <div className="wf-name" style={{ paddingLeft: `${0.75 + r.depth * 1}rem` }}>
                    <span className="svc" style={{ background: serviceColour(r.service_name) }}>{r.service_name}</span>
                    <span className="op">{r.span_name}</span>
                  </div>
                  <div className="wf-track">
                    <div className={`wf-bar${isError ? ' err' : ''}`} style={{ left: `${left}%`, width: `${width}%`, background: serviceColour(r.service_name) }} />
                    {/* the label goes inside a long bar, after a short one, or before one that ends near the right edge */}
                    <span
                      className={`wf-dur${width >= 30 ? ' inside' : ''}`}
                      style={width >= 30 ? { left: `calc(${left}% + 0.45rem)` } : left + width > 70 ? { right: `calc(${100 - left}% + 0.4rem)`, textAlign: 'right' } : { left: `calc(${left + width}% + 0.4rem)` }}
                    >
                      {fmtDuration(r.duration_ms)}
                      {isError && <span className="wf-err"> · {r.status_message || 'error'}</span>}
                    </span>
                  </div>
                </div>
              );
            })}
          </div>
        );
      })}
    </div>
  );
}
