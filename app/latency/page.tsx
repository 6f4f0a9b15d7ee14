// Posting latency (occurred → first posted): a plant × flow heatmap of p95 coloured against the flow's
// SLA threshold in force, the percentiles over time, and the table behind both (exact quantiles).
import { getReadStore } from '@/clickhouse/shared';
import { getLatency } from '@/queries/getLatency';
import { getLatencyOverTime } from '@/queries/getLatencyOverTime';
import { getSlaThresholds } from '@/queries/getSlaThresholds';
import { FLOWS } from '@/lib/contract';
import { resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, MaybeLink } from '@/components/Card';
import { DataTable, num } from '@/components/DataTable';
import { LatencyChart } from '@/components/Charts';
import { flowLabel, fmtDuration, fmtInt, ordinal, slowestRank } from '@/components/format';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Latency' };

/** Heat level of a p95 against its threshold: < 50 %, < 100 %, < 200 %, beyond. */
const heat = (ms: number, thresholdMinutes: number) => {
  const r = ms / (thresholdMinutes * 60_000);
  return r < 0.5 ? 0 : r <= 1 ? 1 : r < 2 ? 2 : 3;
};

export default async function LatencyPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:kpi', returnPath('/latency', sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const f = view.filters;
  const store = await getReadStore();
  const [latency, series, thresholds] = await Promise.all([getLatency(store, f, access.scope), getLatencyOverTime(store, f, access.scope), getSlaThresholds(store, f, access.scope)]);
  const thresholdOf = (plant: string, flow: string) =>
    thresholds.overrides.find((o) => o.plant === plant && o.flow === flow)?.threshold_minutes ?? thresholds.defaults.find((d) => d.flow === flow)?.minutes ?? 60;
  const plants = [...new Set(latency.items.map((r) => r.plant))].sort();
  const flows = FLOWS.filter((fl) => latency.items.some((r) => r.flow === fl));
  // one flow (and one plant, or no override) selected: its threshold is one line on the chart
  const oneFlow = f.flows.length === 1 ? f.flows[0] : null;
  const chartThreshold = oneFlow && (f.plants.length === 1 || !thresholds.overrides.some((o) => o.flow === oneFlow)) ? thresholdOf(f.plants[0] ?? '', oneFlow) * 60_000 : undefined;
  const posted = latency.items.reduce((n, r) => n + r.count, 0);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Latency</h1>
          <p>Time from the business event (occurred) to the target&apos;s first confirmation (posted), {fmtInt(posted)} posted transactions, {view.rangeLabel}. Exact quantiles (ClickHouse <code>quantileExact</code>: the latency at position ⌊level × n⌋ of the sorted latencies, so the p50 of two is the larger).</p>
        </div>
      </div>

      <Card
        title="p95 by plant and flow"
        sub="coloured against the flow's SLA threshold in force"
        actions={
          <div className="legend">
            <span>p95 against the SLA threshold:</span>
            <span><i className="heat-0" />&lt; 50 % of it</span>
            <span><i className="heat-1" />50 %–100 %</span>
            <span><i className="heat-2" />up to 2×</span>
            <span><i className="heat-3" />&gt; 2×</span>
            <CsvLink href={view.csv('/api/v1/latency')} />
          </div>
        }
        testId="latency-heatmap"
      >
        <DataTable
          columns={['Plant', ...flows.map((fl) => ({ key: fl, label: flowLabel(fl), style: { textAlign: 'center' as const } }))]}
          rows={plants}
          empty={<Empty title="Nothing posted in this range">Latency counts posted transactions only.</Empty>}
          row={(plant) => (
            <tr key={plant}>
              <td><MaybeLink className="strong" href={access.open(view.href(`/flows/${encodeURIComponent(plant)}`))}>{plant}</MaybeLink></td>
              {flows.map((fl) => {
                const r = latency.items.find((x) => x.plant === plant && x.flow === fl);
                if (!r) return <td key={fl} className="cell-empty">·</td>;
                const t = thresholdOf(plant, fl);
                return (
                  <td key={fl} className={`heat heat-${heat(r.p95_ms, t)}`} title={`p50 ${fmtDuration(r.p50_ms)} · p95 ${fmtDuration(r.p95_ms)} · p99 ${fmtDuration(r.p99_ms)} · ${r.count} posted · threshold ${t} min`} data-testid={`heat-${plant}-${fl}`}>
                    <MaybeLink href={access.open(view.slowest({ plant, flow: fl }, 0.95, r.count))}>
                      {fmtDuration(r.p95_ms)}
                      <span className="sub">{fmtInt(r.count)} posted · SLA {t} min</span>
                    </MaybeLink>
                  </td>
                );
              })}
            </tr>
          )}
        />
      </Card>

      <div className="section">
        <Card title="Percentiles over time" sub={`per ${fmtDuration(series.bucket_seconds * 1000)}, by occurred time${oneFlow ? ` · ${flowLabel(oneFlow)}` : ' · pick one flow to see its SLA line'}`} testId="latency-over-time">
          <div className="card-body">{posted === 0 ? <Empty title="Nothing posted in this range" /> : <LatencyChart points={series.items} bucketSeconds={series.bucket_seconds} thresholdMs={chartThreshold} />}</div>
        </Card>
      </div>

      <div className="section">
        <Card title="Percentiles" sub={`${latency.items.length} plant × flow`} actions={<CsvLink href={view.csv('/api/v1/latency')} />} testId="latency-table">
          <DataTable
            columns={[
              'Plant',
              'Flow',
              num('Posted'),
              num('p50'),
              num('p95'),
              num('p99'),
              num('Threshold'),
            ]}
            rows={latency.items}
            empty={<Empty title="Nothing posted in this range" />}
            row={(r) => (
              <tr key={`${r.plant}/${r.flow}`}>
                <td>{r.plant}</td>
                <td>{flowLabel(r.flow)}</td>
                <td className="num"><MaybeLink href={access.open(view.href('/transactions', { plant: r.plant, flow: r.flow, status: 'posted' }))}>{fmtInt(r.count)}</MaybeLink></td>
                {([['p50', 0.5, r.p50_ms], ['p95', 0.95, r.p95_ms], ['p99', 0.99, r.p99_ms]] as const).map(([name, level, ms]) => (
                  <td key={name} className="num">
                    <MaybeLink
                      href={access.open(view.slowest({ plant: r.plant, flow: r.flow }, level, r.count))}
                      title={`${name}: the latency of the ${ordinal(slowestRank(level, r.count))} slowest of ${fmtInt(r.count)} posted (opens them slowest first, at the page that holds it)`}
                      data-testid={`latency-${name}-${r.plant}-${r.flow}`}
                    >
                      {fmtDuration(ms)}
                    </MaybeLink>
                  </td>
                ))}
                <td className="num">{thresholdOf(r.plant, r.flow)} min</td>
              </tr>
            )}
          />
        </Card>
      </div>
    </>
  );
}
