// Overview, for executives: the KPIs of the selected range with their trend against the previous
// period of the same length (computed as it stood at the end of that period), and per plant which one
// is red and why. Every number links to the rows behind it.
import { getReadStore } from '@/clickhouse/shared';
import type { Filters } from '@/queries/filters';
import { getOverview, type OverviewFigures } from '@/queries/getOverview';
import { getExceptionAging } from '@/queries/getExceptionAging';
import { getFlowMatrix } from '@/queries/getFlowMatrix';
import { AGING_BUCKETS } from '@/lib/sla';
import { resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, MaybeLink } from '@/components/Card';
import { DataTable, num } from '@/components/DataTable';
import { KpiTile, Trend, type Tone } from '@/components/KpiTile';
import { fmtDuration, fmtInt, fmtPct, fmtUtc } from '@/components/format';
import { HEALTH_TARGETS, RATIO_ROWS, healthyText, numeratorOf, plantHealth, postingSuccess } from '@/components/plantHealth';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Overview' };

function previousPeriod(f: Filters): Filters {
  const length = f.to.getTime() - f.from.getTime();
  return { ...f, from: new Date(f.from.getTime() - length), to: f.from, at: new Date(f.at.getTime() - length) };
}

const ratioTone = (r: number | null, red: number, amber: number): Tone => (r === null ? 'neutral' : r < red ? 'bad' : r < amber ? 'warn' : 'good');
const countTone = (n: number): Tone => (n > 0 ? 'bad' : 'good');

export default async function OverviewPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:kpi', returnPath('/', sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const f = view.filters;
  const store = await getReadStore();
  const [now, before, aging, matrix] = await Promise.all([
    getOverview(store, f, access.scope),
    getOverview(store, previousPeriod(f), access.scope),
    getExceptionAging(store, f, access.scope, { status: 'open' }),
    getFlowMatrix(store, f, access.scope, { silent_after_minutes: 30 }),
  ]);
  const period = view.rangeKey ?? 'period';
  // the previous period as the trends compare with it: its range, and `at` as far before this view's
  const previous = previousPeriod(f);
  const previousHref = view.href('/', { range: null, from: previous.from.toISOString(), to: previous.to.toISOString(), at: previous.at.toISOString() });
  const success = postingSuccess(now);
  const prevSuccess = postingSuccess(before);
  const firstPass = numeratorOf(now.first_pass_yield, now.posted + now.failed);
  const slaMet = numeratorOf(now.sla_compliance, now.posted + now.open_sla_breaches);
  const agingTotals = AGING_BUCKETS.map((b) => ({ bucket: b.bucket, count: aging.items.filter((a) => a.bucket === b.bucket).reduce((n, a) => n + a.count, 0) }));
  const pulses = new Map(matrix.plants.map((p) => [p.plant, p]));
  const silent = matrix.plants.filter((p) => p.silent);
  const plants = [...new Set([...now.by_plant.map((p) => p.plant), ...matrix.plants.map((p) => p.plant)])].sort();
  const empty: OverviewFigures = { transactions: 0, posted: 0, failed: 0, pending: 0, first_pass_yield: null, sla_compliance: null, open_exceptions: 0, open_sla_breaches: 0, latency_p50_ms: null, latency_p95_ms: null };
  const rows = plants.map((plant) => {
    const figures = now.by_plant.find((p) => p.plant === plant) ?? { ...empty, plant };
    return { ...figures, health: plantHealth(figures, aging.items.filter((a) => a.plant === plant), pulses.get(plant)) };
  });
  const order = { red: 0, amber: 1, green: 2 };
  rows.sort((a, b) => order[a.health.level] - order[b.health.level] || a.plant.localeCompare(b.plant));

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Overview</h1>
          <p>
            Transactions by occurred time, {view.rangeLabel}
            {f.plants.length ? ` · plant${f.plants.length > 1 ? 's' : ''} ${f.plants.join(', ')}` : ' · all plants'}
            {f.flows.length ? ` · ${f.flows.length} flow${f.flows.length > 1 ? 's' : ''}` : ''}; trends against the previous {period}.
          </p>
        </div>
        <CsvLink href={view.csv('/api/v1/overview')} label="KPIs as CSV" />
      </div>

      {silent.length > 0 && (
        <div className="callout callout-red" data-testid="silent-callout">
          <div>
            <strong>{silent.length === 1 ? `Plant ${silent[0].plant} went silent` : `${silent.length} plants went silent`}</strong>
            {silent.map((p) => `${p.plant}: nothing received for ${fmtDuration((p.minutes_since_last ?? 0) * 60_000)} (last at ${fmtUtc(p.last_reported_at, 'MMM d, HH:mm')} UTC)`).join(' · ')}
          </div>
        </div>
      )}

      <section className="kpis kpis-overview" aria-label="Key figures">
        <KpiTile
          id="transactions"
          label="Transactions"
          value={fmtInt(now.transactions)}
          href={access.open(view.href('/transactions'))}
          detail={
            <>
              <MaybeLink href={access.open(view.href('/transactions', { status: 'posted' }))} className="num-posted" data-testid="kpi-posted">{fmtInt(now.posted)} posted</MaybeLink>
              <MaybeLink href={access.open(view.href('/transactions', { status: 'pending' }))} className="num-pending" data-testid="kpi-pending">{fmtInt(now.pending)} pending</MaybeLink>
              <MaybeLink href={access.open(view.href('/exceptions', { status: 'all' }))} className="num-failed" data-testid="kpi-failed">{fmtInt(now.failed)} failed</MaybeLink>
            </>
          }
          trend={<Trend current={now.transactions} previous={before.transactions} kind="count" better="none" period={period} href={previousHref} />}
        />
        <KpiTile
          id="posting-success"
          label="Posting success"
          value={fmtPct(success)}
          tone={ratioTone(success, HEALTH_TARGETS.successRed, HEALTH_TARGETS.successAmber)}
          href={access.open(view.href('/transactions', RATIO_ROWS.finished))}
          detail={
            <span>
              posted / (posted + failed) ={' '}
              <MaybeLink href={access.open(view.href('/transactions', { status: 'posted' }))} data-testid="kpi-success-posted">{fmtInt(now.posted)}</MaybeLink> /{' '}
              <MaybeLink href={access.open(view.href('/transactions', RATIO_ROWS.finished))} data-testid="kpi-success-finished">{fmtInt(now.posted + now.failed)}</MaybeLink>
            </span>
          }
          trend={<Trend current={success} previous={prevSuccess} kind="ratio" better="up" period={period} href={previousHref} />}
        />
        <KpiTile
          id="first-pass-yield"
          label="First-pass yield"
          value={fmtPct(now.first_pass_yield)}
          tone={ratioTone(now.first_pass_yield, 0.9, 0.97)}
          href={access.open(view.href('/transactions', RATIO_ROWS.finished))}
          detail={
            <span>
              <MaybeLink href={access.open(view.href('/transactions', { first_pass: 'true' }))} data-testid="kpi-fpy-first">{fmtInt(firstPass)} posted on attempt 1</MaybeLink> of{' '}
              <MaybeLink href={access.open(view.href('/transactions', RATIO_ROWS.finished))}>{fmtInt(now.posted + now.failed)} posted + failed</MaybeLink> ·{' '}
              <MaybeLink href={access.open(view.href('/transactions', { first_pass: 'false' }))} data-testid="kpi-fpy-not-first">{fmtInt(now.posted + now.failed - firstPass)} not on attempt 1</MaybeLink>
            </span>
          }
          trend={<Trend current={now.first_pass_yield} previous={before.first_pass_yield} kind="ratio" better="up" period={period} href={previousHref} />}
        />
        <KpiTile
          id="sla-compliance"
          label="SLA compliance"
          value={fmtPct(now.sla_compliance)}
          tone={ratioTone(now.sla_compliance, HEALTH_TARGETS.slaRed, HEALTH_TARGETS.slaAmber)}
          href={access.open(view.href('/transactions', RATIO_ROWS.slaCounted))}
          detail={
            <span>
              <MaybeLink href={access.open(view.href('/transactions', { sla: 'met' }))} data-testid="kpi-sla-met">{fmtInt(slaMet)} within threshold</MaybeLink> / (
              <MaybeLink href={access.open(view.href('/transactions', { status: 'posted' }))}>{fmtInt(now.posted)} posted</MaybeLink> +{' '}
              <MaybeLink href={access.open(view.href('/sla', { state: 'open' }))}>{fmtInt(now.open_sla_breaches)} open breaches</MaybeLink>) ·{' '}
              <MaybeLink href={access.open(view.href('/sla'))}>by plant and flow</MaybeLink>
            </span>
          }
          trend={<Trend current={now.sla_compliance} previous={before.sla_compliance} kind="ratio" better="up" period={period} href={previousHref} />}
        />
        <KpiTile
          id="open-exceptions"
          wide
          label="Open exceptions"
          value={fmtInt(now.open_exceptions)}
          tone={countTone(now.open_exceptions)}
          href={access.open(view.href('/exceptions'))}
          detail={
            <div className="aging-bar" style={{ width: '100%' }} aria-label="Open exceptions by age">
              {agingTotals.map((b, i) =>
                b.count > 0 ? (
                  <MaybeLink key={b.bucket} className={`age-${i + 1} has`} href={access.open(view.href('/exceptions', { aging: b.bucket }))} title={`${b.count} open for ${b.bucket}`} data-testid={`kpi-aging-${b.bucket}`}>
                    <b>{fmtInt(b.count)}</b>
                    {b.bucket}
                  </MaybeLink>
                ) : (
                  <span key={b.bucket} className={`age-${i + 1}`} title={`none open for ${b.bucket}`} data-testid={`kpi-aging-${b.bucket}`}>
                    <b>0</b>
                    {b.bucket}
                  </span>
                ),
              )}
            </div>
          }
          trend={<Trend current={now.open_exceptions} previous={before.open_exceptions} kind="count" better="down" period={period} href={previousHref} />}
        />
        <KpiTile
          id="open-sla-breaches"
          label="Open SLA breaches"
          value={fmtInt(now.open_sla_breaches)}
          tone={countTone(now.open_sla_breaches)}
          href={access.open(view.href('/sla', { state: 'open' }))}
          detail={<span>not posted, older than their flow&apos;s threshold</span>}
          trend={<Trend current={now.open_sla_breaches} previous={before.open_sla_breaches} kind="count" better="down" period={period} href={previousHref} />}
        />
        <KpiTile
          id="latency"
          label="Posting latency"
          pair
          value={
            <>
              <MaybeLink href={access.open(view.slowest({}, 0.5, now.posted))} data-testid="kpi-latency-p50">
                {fmtDuration(now.latency_p50_ms)}
                <small>p50</small>
              </MaybeLink>
              <MaybeLink href={access.open(view.slowest({}, 0.95, now.posted))} data-testid="kpi-latency-p95">
                {fmtDuration(now.latency_p95_ms)}
                <small>p95</small>
              </MaybeLink>
            </>
          }
          href={null}
          detail={
            <span>
              occurred → first posted,{' '}
              <MaybeLink href={access.open(view.href('/transactions', { status: 'posted', sort: 'latency' }))}>{fmtInt(now.posted)} posted, slowest first</MaybeLink> ·{' '}
              <MaybeLink href={access.open(view.href('/latency'))}>by plant and flow</MaybeLink>
            </span>
          }
          trend={<Trend current={now.latency_p95_ms} previous={before.latency_p95_ms} kind="duration" better="down" period={period} href={previousHref} />}
        />
      </section>

      <div className="section">
        <Card
          title="Plants"
          sub={`${rows.filter((r) => r.health.level === 'red').length} red · ${rows.filter((r) => r.health.level === 'amber').length} amber · ${rows.filter((r) => r.health.level === 'green').length} green`}
          actions={<CsvLink href={view.csv('/api/v1/overview')} />}
          testId="plant-table"
        >
          <DataTable
            className="compact"
            columns={[
              'Plant · why',
              num('Transactions'),
              num('Posted'),
              num('Pending'),
              num('Failed'),
              num('Posting success'),
              num('First pass'),
              num('SLA'),
              num('Open exceptions'),
              num('Open breaches'),
              num('Latency p50 / p95'),
              'Last heard',
            ]}
            rows={rows}
            empty={<Empty title="No transactions in this range">Nothing occurred in the selected range for these plants and flows. Widen the range or check that plants are sending.</Empty>}
            row={(r) => {
              const only = { plant: r.plant };
              const pulse = pulses.get(r.plant);
              return (
                <tr key={r.plant} className={`row-${r.health.level}`} data-testid={`plant-row-${r.plant}`} data-health={r.health.level}>
                  <td className="why">
                    <div className={`health health-${r.health.level}`}>
                      <span className="health-dot" role="img" aria-label={`health: ${r.health.level}`} title={`health: ${r.health.level}`} />
                      <div>
                        <MaybeLink className="health-name" href={access.open(view.href(`/flows/${encodeURIComponent(r.plant)}`))}>{r.plant}</MaybeLink>
                        <ul className="health-reasons">
                          {r.health.reasons.length === 0 ? (
                            <li>{healthyText(r)}</li>
                          ) : (
                            r.health.reasons.map((x) => (
                              <li key={x.text} className={x.level}>
                                <MaybeLink href={access.open(view.href(x.link.path, { ...x.link.params, ...(x.link.path.startsWith('/flows/') ? {} : only) }))}>{x.text}</MaybeLink>
                              </li>
                            ))
                          )}
                        </ul>
                      </div>
                    </div>
                  </td>
                  <td className="num"><MaybeLink href={access.open(view.href('/transactions', only))}>{fmtInt(r.transactions)}</MaybeLink></td>
                  <td className="num"><MaybeLink className="num-posted" href={access.open(view.href('/transactions', { ...only, status: 'posted' }))}>{fmtInt(r.posted)}</MaybeLink></td>
                  <td className="num"><MaybeLink className={r.pending ? 'num-pending' : 'zero'} href={access.open(view.href('/transactions', { ...only, status: 'pending' }))}>{fmtInt(r.pending)}</MaybeLink></td>
                  <td className="num"><MaybeLink className={r.failed ? 'num-failed' : 'zero'} href={access.open(view.href('/exceptions', { ...only, status: 'all' }))}>{fmtInt(r.failed)}</MaybeLink></td>
                  <td className="num"><MaybeLink href={access.open(view.href('/transactions', { ...only, ...RATIO_ROWS.finished }))}>{fmtPct(postingSuccess(r))}</MaybeLink></td>
                  <td className="num"><MaybeLink href={access.open(view.href('/transactions', { ...only, ...RATIO_ROWS.finished }))}>{fmtPct(r.first_pass_yield)}</MaybeLink></td>
                  <td className="num"><MaybeLink href={access.open(view.href('/transactions', { ...only, ...RATIO_ROWS.slaCounted }))}>{fmtPct(r.sla_compliance)}</MaybeLink></td>
                  <td className="num"><MaybeLink className={r.open_exceptions ? 'num-failed' : 'zero'} href={access.open(view.href('/exceptions', only))}>{fmtInt(r.open_exceptions)}</MaybeLink></td>
                  <td className="num"><MaybeLink className={r.open_sla_breaches ? 'num-failed' : 'zero'} href={access.open(view.href('/sla', { ...only, state: 'open' }))}>{fmtInt(r.open_sla_breaches)}</MaybeLink></td>
                  <td className="num">
                    <MaybeLink href={access.open(view.slowest(only, 0.5, r.posted))}>{fmtDuration(r.latency_p50_ms)}</MaybeLink> /{' '}
                    <MaybeLink href={access.open(view.slowest(only, 0.95, r.posted))}>{fmtDuration(r.latency_p95_ms)}</MaybeLink>
                  </td>
                  <td className="nowrap">
                    {pulse?.silent ? <span className="badge badge-silent plain">silent</span> : null} {pulse ? `${fmtUtc(pulse.last_reported_at, 'MMM d, HH:mm')} UTC` : <span className="zero">not in the last 7 days</span>}
                  </td>
                </tr>
              );
            }}
          />
        </Card>
      </div>
    </>
  );
}
