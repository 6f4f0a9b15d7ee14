// One plant's day: its KPIs, volume over the range by current status, its flows, and what needs
// attention now — open exceptions and open SLA breaches.
import Link from 'next/link';
import { getReadStore } from '@/clickhouse/shared';
import { getOverview } from '@/queries/getOverview';
import { getFlowMatrix } from '@/queries/getFlowMatrix';
import { getExceptions } from '@/queries/getExceptions';
import { getExceptionAging } from '@/queries/getExceptionAging';
import { getSlaBreaches } from '@/queries/getSlaBreaches';
import { getVolumeOverTime } from '@/queries/getVolumeOverTime';
import { EXPORT_LIMIT, resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems } from '@/components/Card';
import { DataTable, num } from '@/components/DataTable';
import { VolumeChart } from '@/components/Charts';
import { AgeBadge } from '@/components/StatusBadge';
import { categoryLabel, flowLabel, fmtAge, fmtDuration, fmtInt, fmtPct, fmtUtc, fmtWhen } from '@/components/format';
import { txHref } from '@/components/links';
import { RATIO_ROWS, healthyText, plantHealth, postingSuccess } from '@/components/plantHealth';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ plant: string }> }) {
  return { title: `Plant ${decodeURIComponent((await params).plant)}` };
}

export default async function PlantPage({ params, searchParams }: { params: Promise<{ plant: string }>; searchParams: Promise<PageSearchParams> }) {
  const plant = decodeURIComponent((await params).plant);
  const sp = await searchParams;
  const access = await pageAccess('view:flows', returnPath(`/flows/${encodeURIComponent(plant)}`, sp));
  // this page is about one plant, whatever the plant filter says
  const view = resolveView({ ...sp, plant });
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const f = view.filters;
  const store = await getReadStore();
  const [overview, matrix, exceptions, aging, breaches, volume] = await Promise.all([
    getOverview(store, f, access.scope),
    getFlowMatrix(store, f, access.scope, { silent_after_minutes: 30 }),
    getExceptions(store, { ...f, limit: 50, offset: 0 }, access.scope, { status: 'open' }),
    getExceptionAging(store, f, access.scope, { status: 'open' }),
    getSlaBreaches(store, { ...f, limit: 50, offset: 0 }, access.scope, { state: 'open' }),
    getVolumeOverTime(store, f, access.scope),
  ]);
  const pulse = matrix.plants.find((p) => p.plant === plant);
  const health = plantHealth({ ...overview, plant }, aging.items, pulse);
  const only = { plant };

  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs"><Link href={view.href('/flows', { plant: null })}>Flows</Link> / plant</div>
          <h1 className={`health health-${health.level}`} style={{ alignItems: 'center' }}>
            <span className="health-dot" style={{ marginTop: 0 }} role="img" aria-label={`health: ${health.level}`} title={`health: ${health.level}`} />
            Plant {plant}
            {pulse?.silent && <span className="badge badge-silent plain">silent</span>}
          </h1>
          <p>
            {view.rangeLabel} · last posting result {pulse ? `${fmtUtc(pulse.last_reported_at, 'MMM d, HH:mm:ss')} UTC` : 'none in the last 7 days'}
            {health.reasons.length
              ? health.reasons.map((r) => (
                  <span key={r.text}>
                    {' · '}
                    <Link href={r.link.path.startsWith('/flows/') ? view.href('/flows', { plant: null }) : view.href(r.link.path, { ...r.link.params, ...only })} data-testid="plant-reason">{r.text}</Link>
                  </span>
                ))
              : ` · ${healthyText(overview)}`}
          </p>
        </div>
        <CsvLink href={view.csv('/api/v1/overview')} label="KPIs as CSV" />
      </div>

      <section className="kpis" aria-label="Key figures">
        <Figure label="Transactions" value={fmtInt(overview.transactions)} href={view.href('/transactions', only)} />
        <Figure label="Posted" value={fmtInt(overview.posted)} href={view.href('/transactions', { ...only, status: 'posted' })} cls={overview.posted ? 'num-posted' : ''} />
        <Figure label="Pending" value={fmtInt(overview.pending)} href={view.href('/transactions', { ...only, status: 'pending' })} cls={overview.pending ? 'num-pending' : ''} />
        <Figure label="Failed" value={fmtInt(overview.failed)} href={view.href('/exceptions', { ...only, status: 'all' })} cls={overview.failed ? 'num-failed' : ''} />
        <Figure label="Posting success" value={fmtPct(postingSuccess(overview))} href={view.href('/transactions', { ...only, ...RATIO_ROWS.finished })} />
        <Figure label="SLA compliance" value={fmtPct(overview.sla_compliance)} href={view.href('/transactions', { ...only, ...RATIO_ROWS.slaCounted })} />
        <Figure label="Latency p50 / p95" value={`${fmtDuration(overview.latency_p50_ms)} / ${fmtDuration(overview.latency_p95_ms)}`} href={view.slowest(only, 0.95, overview.posted)} />
      </section>

      <div className="section">
        <Card title="The day" sub={`transactions per ${fmtDuration(volume.bucket_seconds * 1000)} by occurred time, coloured by status now`}>
          <div className="card-body">
            {overview.transactions === 0 ? <Empty title="No transactions in this range" /> : <VolumeChart points={volume.items} bucketSeconds={volume.bucket_seconds} />}
          </div>
        </Card>
      </div>

      <div className="section">
        <Card title="Flows" actions={<CsvLink href={view.csv('/api/v1/flows')} />}>
          <DataTable
            columns={[
              'Flow',
              num('Transactions'),
              num('Posted'),
              num('Pending'),
              num('Failed'),
              num('Open breaches'),
              num('p95 latency'),
            ]}
            rows={matrix.items}
            empty={<Empty title="No transactions in this range" />}
            row={(c) => {
              const o = { ...only, flow: c.flow };
              return (
                <tr key={c.flow}>
                  <td>{flowLabel(c.flow)}</td>
                  <td className="num"><Link href={view.href('/transactions', o)}>{fmtInt(c.transactions)}</Link></td>
                  <td className="num"><Link className={c.posted ? 'num-posted' : 'zero'} href={view.href('/transactions', { ...o, status: 'posted' })}>{fmtInt(c.posted)}</Link></td>
                  <td className="num"><Link className={c.pending ? 'num-pending' : 'zero'} href={view.href('/transactions', { ...o, status: 'pending' })}>{fmtInt(c.pending)}</Link></td>
                  <td className="num"><Link className={c.failed ? 'num-failed' : 'zero'} href={view.href('/exceptions', { ...o, status: 'all' })}>{fmtInt(c.failed)}</Link></td>
                  <td className="num"><Link className={c.open_sla_breaches ? 'num-failed' : 'zero'} href={view.href('/sla', { ...o, state: 'open' })}>{fmtInt(c.open_sla_breaches)}</Link></td>
                  <td className="num"><Link href={view.slowest(o, 0.95, c.posted)}>{fmtDuration(c.p95_ms)}</Link></td>
                </tr>
              );
            }}
          />
        </Card>
      </div>

      <div className="section grid-2">
        <Card
          title="Open exceptions"
          sub={exceptions.next_cursor ? `the first ${fmtInt(exceptions.items.length)} of ${fmtInt(overview.open_exceptions)}` : fmtInt(overview.open_exceptions)}
          actions={
            <>
              {overview.open_exceptions > 0 && <Link className="btn" href={view.href('/exceptions', only)} data-testid="plant-exceptions-all">All {fmtInt(overview.open_exceptions)} →</Link>}
              <CsvLink href={view.csv('/api/v1/exceptions', { limit: EXPORT_LIMIT })} />
            </>
          }
        >
          <DataTable
            columns={['Transaction', 'Flow', 'Error', 'Age']}
            rows={exceptions.items}
            empty={<Empty title="No open exceptions" />}
            row={(e) => (
              <tr key={e.correlation_id}>
                <td><Link className="strong mono" href={txHref(e.correlation_id, view.params)}>{e.correlation_id}</Link>{e.order_no && <span className="sub">order {e.order_no}</span>}</td>
                <td>{flowLabel(e.flow)}</td>
                <td><span className="tag tag-red">{categoryLabel(e.error_category)}</span><span className="sub">{e.error_message}</span></td>
                <td className="nowrap"><AgeBadge bucket={e.age_bucket} /> <span className="sub">{fmtAge(e.age_seconds)}</span></td>
              </tr>
            )}
          />
        </Card>
        <Card
          title="Open SLA breaches"
          sub={breaches.next_cursor ? `the first ${fmtInt(breaches.items.length)} of ${fmtInt(overview.open_sla_breaches)}` : fmtInt(overview.open_sla_breaches)}
          actions={
            <>
              {overview.open_sla_breaches > 0 && <Link className="btn" href={view.href('/sla', { ...only, state: 'open' })} data-testid="plant-breaches-all">All {fmtInt(overview.open_sla_breaches)} →</Link>}
              <CsvLink href={view.csv('/api/v1/sla/breaches', { state: 'open', limit: EXPORT_LIMIT })} />
            </>
          }
        >
          <DataTable
            columns={['Transaction', 'Flow', 'Occurred', num('Waiting')]}
            rows={breaches.items}
            empty={<Empty title="No open SLA breaches" />}
            row={(b) => (
              <tr key={b.correlation_id}>
                <td><Link className="strong mono" href={txHref(b.correlation_id, view.params)}>{b.correlation_id}</Link></td>
                <td>{flowLabel(b.flow)}<span className="sub">threshold {b.threshold_minutes} min</span></td>
                <td className="nowrap">{fmtWhen(b.occurred_at, f.at)}</td>
                <td className="num"><span className="num-failed">{fmtDuration(b.latency_seconds * 1000)}</span></td>
              </tr>
            )}
          />
        </Card>
      </div>
    </>
  );
}

function Figure({ label, value, href, cls }: { label: string; value: string; href: string; cls?: string }) {
  return (
    <div className="card kpi">
      <div className="kpi-label">{label}</div>
      <Link className={`kpi-value ${cls ?? ''}`} href={href} style={{ fontSize: '1.7rem' }}>
        {value}
      </Link>
    </div>
  );
}
