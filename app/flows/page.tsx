// Flows, for plant IT: plant × flow matrix of volume, failures, pending backlog, open SLA breaches and
// p95 posting latency; plants that went silent are called out even when they have no transaction in
// the range. Every figure links to the rows behind it.
import Link from 'next/link';
import { getReadStore } from '@/clickhouse/shared';
import { getFlowMatrix, type FlowCell } from '@/queries/getFlowMatrix';
import { resolveView, type PageSearchParams, type View } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems } from '@/components/Card';
import { DataTable } from '@/components/DataTable';
import { flowLabel, fmtDuration, fmtInt, fmtUtc } from '@/components/format';
import { FLOWS } from '@/lib/contract';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Flows' };

const SILENT_AFTER_MINUTES = 30;

export default async function FlowsPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:flows', returnPath('/flows', sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const f = view.filters;
  const matrix = await getFlowMatrix(await getReadStore(), f, access.scope, { silent_after_minutes: SILENT_AFTER_MINUTES });
  const flows = FLOWS.filter((fl) => matrix.items.some((c) => c.flow === fl));
  const plants = [...new Set([...matrix.items.map((c) => c.plant), ...matrix.plants.map((p) => p.plant)])].sort();
  const pulses = new Map(matrix.plants.map((p) => [p.plant, p]));
  const silent = matrix.plants.filter((p) => p.silent);
  const cell = (plant: string, flow: string) => matrix.items.find((c) => c.plant === plant && c.flow === flow);
  const sum = (cells: FlowCell[], k: 'transactions' | 'failed' | 'pending' | 'open_sla_breaches') => cells.reduce((n, c) => n + c[k], 0);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Flows</h1>
          <p>Plant × flow, {view.rangeLabel}: volume, failed, pending backlog, open SLA breaches and p95 posting latency. A plant is silent after {SILENT_AFTER_MINUTES} min without any posting result.</p>
        </div>
      </div>

      {silent.length > 0 && (
        <div className="callout callout-red" data-testid="silent-callout">
          <div>
            <strong>Silent plant{silent.length > 1 ? 's' : ''}: {silent.map((p) => p.plant).join(', ')}</strong>
            {silent.map((p) => `${p.plant} last reported ${fmtUtc(p.last_reported_at, 'MMM d, HH:mm')} UTC, ${fmtDuration((p.minutes_since_last ?? 0) * 60_000)} ago`).join(' · ')}. Check the plant&apos;s middleware connection and queue.
          </div>
        </div>
      )}

      <Card title="Plant × flow" sub={`${plants.length} plant${plants.length === 1 ? '' : 's'} · ${flows.length} flow${flows.length === 1 ? '' : 's'}`} actions={<CsvLink href={view.csv('/api/v1/flows', { silent_after_minutes: String(SILENT_AFTER_MINUTES) })} />} testId="flow-matrix">
        <DataTable
          className="matrix"
          columns={['Plant', ...flows.map((fl) => ({ key: fl, label: flowLabel(fl) })), 'All flows']}
          rows={plants}
          empty={<Empty title="No transactions in this range">No plant reported anything for these filters. Widen the time range.</Empty>}
          row={(plant) => {
            const pulse = pulses.get(plant);
            const cells = matrix.items.filter((c) => c.plant === plant);
            return (
              <tr key={plant} data-testid={`matrix-row-${plant}`} className={pulse?.silent ? 'row-red' : undefined}>
                <td>
                  <Link className="health-name" href={view.href(`/flows/${encodeURIComponent(plant)}`)}>{plant}</Link>
                  {pulse?.silent && <span className="badge badge-silent plain" style={{ marginLeft: '0.4rem' }}>silent</span>}
                  <span className="sub">{pulse ? `last ${fmtUtc(pulse.last_reported_at, 'MMM d, HH:mm')} UTC` : 'nothing in the last 7 days'}</span>
                </td>
                {flows.map((fl) => {
                  const c = cell(plant, fl);
                  return c ? <MatrixCell key={fl} c={c} href={view.href} slowest={view.slowest} plant={plant} flow={fl} /> : <td key={fl} className="cell cell-empty">·</td>;
                })}
                <td className="cell">
                  <div className="cell-main"><Link href={view.href('/transactions', { plant })}>{fmtInt(sum(cells, 'transactions'))}</Link></div>
                  <div className="cell-stats">
                    <Link className={sum(cells, 'failed') ? 'num-failed' : ''} href={view.href('/exceptions', { plant, status: 'all' })}>{fmtInt(sum(cells, 'failed'))} failed</Link>
                    <Link className={sum(cells, 'pending') ? 'num-pending' : ''} href={view.href('/transactions', { plant, status: 'pending' })}>{fmtInt(sum(cells, 'pending'))} pending</Link>
                  </div>
                </td>
              </tr>
            );
          }}
        />
      </Card>
      <p className="fb-meta wrap" style={{ marginTop: '0.75rem' }}>
        Cell: transactions · failed (current status) · pending backlog · open SLA breaches · p95 latency of the posted ones. Red: failures or open breaches; amber: pending only.
      </p>
    </>
  );
}

function MatrixCell({ c, href, slowest, plant, flow }: { c: FlowCell; href: (path: string, o?: Record<string, string>) => string; slowest: View['slowest']; plant: string; flow: string }) {
  const only = { plant, flow };
  const tone = c.failed > 0 || c.open_sla_breaches > 0 ? 'cell-bad' : c.pending > 0 ? 'cell-warn' : '';
  return (
    <td className={`cell ${tone}`} data-testid={`cell-${plant}-${flow}`}>
      <div className="cell-main">
        <Link href={href('/transactions', only)} title="transactions">{fmtInt(c.transactions)}</Link>
      </div>
      <div className="cell-stats">
        <Link className={c.failed ? 'num-failed' : ''} href={href('/exceptions', { ...only, status: 'all' })}>{fmtInt(c.failed)} failed</Link>
        <Link className={c.pending ? 'num-pending' : ''} href={href('/transactions', { ...only, status: 'pending' })}>{fmtInt(c.pending)} pending</Link>
        {c.open_sla_breaches > 0 && <Link className="num-failed" href={href('/sla', { ...only, state: 'open' })}>{fmtInt(c.open_sla_breaches)} breach{c.open_sla_breaches > 1 ? 'es' : ''}</Link>}
        {c.p95_ms !== null && <Link href={slowest(only, 0.95, c.posted)}>p95 {fmtDuration(c.p95_ms)}</Link>}
      </div>
    </td>
  );
}
