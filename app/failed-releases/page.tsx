// Failed order releases: production orders the ERP released that no plant received — exceptions of
// the order_release flow, oldest first, with the error and how long the plant has been waiting.
import Link from 'next/link';
import { getReadStore } from '@/clickhouse/shared';
import { getFailedOrderReleases } from '@/queries/getFailedOrderReleases';
import { getExceptionAging } from '@/queries/getExceptionAging';
import { EXPORT_LIMIT, pageLinks, resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, Pager } from '@/components/Card';
import { DataTable, num } from '@/components/DataTable';
import { AgeBadge, StatusBadge } from '@/components/StatusBadge';
import { categoryLabel, fmtAge, fmtInt, fmtWhen } from '@/components/format';
import { txHref } from '@/components/links';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Failed order releases' };

export default async function FailedReleasesPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:exceptions', returnPath('/failed-releases', sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const f = view.filters;
  const store = await getReadStore();
  // the per-plant counts over every failed release, not the page: the open exceptions of the flow by
  // plant (the aging view's rows, summed over its buckets), which is what the list holds
  const [{ items, next_cursor }, aging] = await Promise.all([
    getFailedOrderReleases(store, f, access.scope),
    getExceptionAging(store, { ...f, flows: ['order_release'] }, access.scope, { status: 'open' }),
  ]);
  const pages = pageLinks(view, next_cursor);
  const byPlant = [...new Set(aging.items.map((r) => r.plant))].map((plant) => ({ plant, count: aging.items.filter((r) => r.plant === plant).reduce((n, r) => n + r.count, 0) }));
  const total = byPlant.reduce((n, p) => n + p.count, 0);
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Failed order releases</h1>
          <p>Production orders the ERP released that the plant&apos;s MES did not take, still failed as of the instant shown · {view.rangeLabel}.</p>
        </div>
      </div>
      {items.length > 0 && (
        <div className="callout callout-red">
          <div>
            <strong data-testid="failed-releases-total">{fmtInt(total)} production order{total === 1 ? '' : 's'} not at the plant</strong>
            {byPlant.map((p) => (
              <Link key={p.plant} href={view.href('/failed-releases', { plant: p.plant })} style={{ marginRight: '0.8rem' }} data-testid={`failed-releases-${p.plant}`}>
                {p.plant}: {p.count}
              </Link>
            ))}
          </div>
        </div>
      )}
      <Card title="Failed releases" sub={`${fmtInt(total)}, oldest first`} actions={<CsvLink href={view.csv('/api/v1/order-releases/failed', { limit: EXPORT_LIMIT })} />} testId="failed-releases">
        <DataTable
          columns={['Correlation id', 'Plant', 'Order · material', 'Error', num('Attempts'), 'Age · failing since (UTC)', 'State']}
          rows={items}
          empty={<Empty title="No failed order releases">Every production order released in this range reached its plant (or is still pending).</Empty>}
          row={(r) => (
            <tr key={r.correlation_id} data-testid={`release-${r.correlation_id}`}>
              <td><Link className="strong mono" href={txHref(r.correlation_id, view.params)} data-testid="tx-link">{r.correlation_id}</Link></td>
              <td><Link href={view.href(`/flows/${encodeURIComponent(r.plant)}`)}>{r.plant}</Link></td>
              <td>
                <span className="mono">{r.order_no || '—'}</span>
                <span className="sub">{r.material || 'no material'}</span>
              </td>
              <td className="wrap">
                <span className="tag tag-red">{categoryLabel(r.error_category)}</span>
                <span className="mono">{r.error_code}</span>
                <span className="sub">{r.error_message}</span>
              </td>
              <td className="num">{r.attempts}</td>
              <td className="nowrap"><AgeBadge bucket={r.age_bucket} /> {fmtAge(r.age_seconds)}<span className="sub">since {fmtWhen(r.first_failed_at, f.at)}</span></td>
              <td><StatusBadge status={r.state} /></td>
            </tr>
          )}
        />
        <Pager offset={f.offset} shown={items.length} total={total} prev={pages.prev} next={pages.next} />
      </Card>
    </>
  );
}
