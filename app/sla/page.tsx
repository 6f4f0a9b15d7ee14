// SLA: compliance by plant and flow with the threshold in force, the thresholds themselves (contract
// defaults and plant overrides), and the breaches — open (not posted, older than the threshold) and
// closed (posted late) — each opening its transaction.
import Link from 'next/link';
import { getReadStore } from '@/clickhouse/shared';
import { getSlaBreaches, slaParams } from '@/queries/getSlaBreaches';
import { getSlaSummary } from '@/queries/getSlaSummary';
import { getSlaThresholds } from '@/queries/getSlaThresholds';
import { problemsOf } from '@/queries/filters';
import { EXPORT_LIMIT, pageLinks, resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, MaybeLink, Pager } from '@/components/Card';
import { DataTable, num } from '@/components/DataTable';
import { StatusBadge } from '@/components/StatusBadge';
import { flowLabel, fmtDuration, fmtInt, fmtPct, fmtUtc, fmtWhen } from '@/components/format';
import { txHref } from '@/components/links';
import { HEALTH_TARGETS, RATIO_ROWS } from '@/components/plantHealth';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'SLA' };

const complianceClass = (c: number | null) => (c === null ? 'zero' : c < HEALTH_TARGETS.slaRed ? 'num-failed' : c < HEALTH_TARGETS.slaAmber ? 'num-pending' : 'num-posted');

export default async function SlaPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:kpi', returnPath('/sla', sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const own = slaParams.safeParse(view.params.get('state') ? { state: view.params.get('state') } : {});
  if (!own.success) return <FilterProblems problems={problemsOf(own.error)} />;
  const state = own.data.state;
  const f = view.filters;
  const store = await getReadStore();
  const showBreaches = access.can('view:exceptions');
  const [summary, thresholds, breaches] = await Promise.all([
    getSlaSummary(store, f, access.scope),
    getSlaThresholds(store, f, access.scope),
    showBreaches ? getSlaBreaches(store, f, access.scope, { state }) : Promise.resolve(null),
  ]);
  const total = summary.items.reduce(
    (t, r) => ({ posted: t.posted + r.posted, met: t.met + r.met, closed: t.closed + r.closed_breaches, open: t.open + r.open_breaches }),
    { posted: 0, met: 0, closed: 0, open: 0 },
  );
  const compliance = total.posted + total.open === 0 ? null : total.met / (total.posted + total.open);
  const pages = breaches ? pageLinks(view, breaches.next_cursor) : { prev: null, next: null };
  // the list's length from the summary's counts (the same definition, every page)
  const breachCount = state === 'open' ? total.open : state === 'closed' ? total.closed : total.open + total.closed;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>SLA</h1>
          <p>
            {view.rangeLabel}: compliance{' '}
            <MaybeLink href={access.open(view.href('/transactions', RATIO_ROWS.slaCounted))} data-testid="sla-compliance">{fmtPct(compliance)}</MaybeLink> ={' '}
            <MaybeLink href={access.open(view.href('/transactions', { sla: 'met' }))}>{fmtInt(total.met)} posted within threshold</MaybeLink> / (
            <MaybeLink href={access.open(view.href('/transactions', { status: 'posted' }))}>{fmtInt(total.posted)} posted</MaybeLink> +{' '}
            <MaybeLink href={view.href('/sla', { state: 'open' })}>{fmtInt(total.open)} open breaches</MaybeLink>).{' '}
            <MaybeLink href={view.href('/sla', { state: 'closed' })}>{fmtInt(total.closed)} posted late</MaybeLink>.
          </p>
        </div>
      </div>

      <div>
        <Card title="By plant and flow" sub={`${summary.items.length} combinations`} actions={<CsvLink href={view.csv('/api/v1/sla/summary')} />} testId="sla-summary">
          <DataTable
            columns={[
              'Plant',
              'Flow',
              num('Threshold'),
              num('Posted'),
              num('Within'),
              num('Late'),
              num('Open breaches'),
              num('Compliance'),
            ]}
            rows={summary.items}
            empty={<Empty title="No transactions in this range" />}
            row={(r) => {
              const only = { plant: r.plant, flow: r.flow };
              return (
                <tr key={`${r.plant}/${r.flow}`}>
                  <td><MaybeLink className="strong" href={access.open(view.href(`/flows/${encodeURIComponent(r.plant)}`))}>{r.plant}</MaybeLink></td>
                  <td>{flowLabel(r.flow)}</td>
                  <td className="num">{r.threshold_minutes} min</td>
                  <td className="num"><MaybeLink href={access.open(view.href('/transactions', { ...only, status: 'posted' }))}>{fmtInt(r.posted)}</MaybeLink></td>
                  <td className="num"><MaybeLink className={r.met ? 'num-posted' : 'zero'} href={access.open(view.href('/transactions', { ...only, sla: 'met' }))}>{fmtInt(r.met)}</MaybeLink></td>
                  <td className="num"><MaybeLink className={r.closed_breaches ? 'num-failed' : 'zero'} href={access.open(view.href('/sla', { ...only, state: 'closed' }))}>{fmtInt(r.closed_breaches)}</MaybeLink></td>
                  <td className="num"><MaybeLink className={r.open_breaches ? 'num-failed' : 'zero'} href={access.open(view.href('/sla', { ...only, state: 'open' }))}>{fmtInt(r.open_breaches)}</MaybeLink></td>
                  <td className="num">
                    <MaybeLink className={complianceClass(r.compliance)} href={access.open(view.href('/transactions', { ...only, ...RATIO_ROWS.slaCounted }))} data-testid={`sla-compliance-${r.plant}-${r.flow}`}>{fmtPct(r.compliance)}</MaybeLink>
                  </td>
                </tr>
              );
            }}
          />
        </Card>

      </div>

      <div className="section">
        <Card title="Thresholds in force" sub={`as of ${fmtUtc(f.at, 'MMM d, HH:mm')} UTC · contract defaults, and the plants that override them`} testId="sla-thresholds">
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th><span className="visually-hidden">Plant</span></th>
                  {thresholds.defaults.map((d) => (
                    <th key={d.flow} className="num">{flowLabel(d.flow)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td><b>Contract default</b></td>
                  {thresholds.defaults.map((d) => (
                    <td key={d.flow} className="num">{d.minutes} min</td>
                  ))}
                </tr>
                {[...new Set(thresholds.overrides.map((o) => o.plant))].map((plant) => (
                  <tr key={plant}>
                    <td><MaybeLink className="strong" href={access.open(view.href(`/flows/${encodeURIComponent(plant)}`))}>{plant}</MaybeLink></td>
                    {thresholds.defaults.map((d) => {
                      const o = thresholds.overrides.find((x) => x.plant === plant && x.flow === d.flow);
                      return (
                        <td key={d.flow} className="num" title={o ? `set by ${o.changed_by} on ${fmtUtc(o.changed_at, 'yyyy-MM-dd HH:mm')} UTC (default ${o.default_minutes} min)` : 'the default applies'}>
                          {o ? <span className="tag tag-amber">{o.threshold_minutes} min</span> : <span className="zero">default</span>}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      </div>

      {breaches && (
        <div className="section">
          <Card
            title={state === 'open' ? 'Open breaches' : state === 'closed' ? 'Closed breaches (posted late)' : 'Breaches'}
            sub={`${fmtInt(breachCount)}, oldest first`}
            actions={
              <>
                <div className="seg" role="group" aria-label="Breach state">
                  <MaybeLink href={access.open(view.href('/sla', { state: null }))} aria-current={!state ? 'true' : undefined}>All</MaybeLink>
                  <MaybeLink href={access.open(view.href('/sla', { state: 'open' }))} aria-current={state === 'open' ? 'true' : undefined}>Open</MaybeLink>
                  <MaybeLink href={access.open(view.href('/sla', { state: 'closed' }))} aria-current={state === 'closed' ? 'true' : undefined}>Closed</MaybeLink>
                </div>
                <CsvLink href={view.csv('/api/v1/sla/breaches', { ...(state ? { state } : {}), limit: EXPORT_LIMIT })} />
              </>
            }
            testId="sla-breaches"
          >
            <DataTable
              columns={[
                'Correlation id',
                'State',
                'Plant · flow',
                'Order',
                'Occurred (UTC)',
                num('Threshold'),
                num('Latency / waiting'),
                num('Over by'),
              ]}
              rows={breaches.items}
              empty={<Empty title="No breaches">Every transaction in this range is within its threshold.</Empty>}
              row={(b) => (
                <tr key={b.correlation_id} data-testid={`breach-${b.correlation_id}`}>
                  <td><Link className="strong mono" href={txHref(b.correlation_id, view.params)}>{b.correlation_id}</Link></td>
                  <td><StatusBadge status={b.state === 'open' ? 'open_breach' : 'closed_breach'} /></td>
                  <td><MaybeLink href={access.open(view.href(`/flows/${encodeURIComponent(b.plant)}`))}>{b.plant}</MaybeLink><span className="sub">{flowLabel(b.flow)}</span></td>
                  <td className="mono">{b.order_no || <span className="zero">—</span>}</td>
                  <td className="nowrap">{fmtWhen(b.occurred_at, f.at)}</td>
                  <td className="num">{b.threshold_minutes} min</td>
                  <td className="num">{fmtDuration(b.latency_seconds * 1000)}<span className="sub">{b.state === 'open' ? 'still waiting' : 'to posting'}</span></td>
                  <td className="num num-failed">{fmtDuration(b.latency_seconds * 1000 - b.threshold_minutes * 60_000)}</td>
                </tr>
              )}
            />
            <Pager offset={f.offset} shown={breaches.items.length} total={breachCount} prev={pages.prev} next={pages.next} />
          </Card>
        </div>
      )}
    </>
  );
}
