// Exceptions, ERP support's work queue: open exceptions per plant and age bucket (each count opens its
// rows), and the list — oldest first — narrowed by plant, flow (the filter bar), error category,
// recoverable, age bucket, and open or all (with those resolved by hand).
import Link from 'next/link';
import { getReadStore } from '@/clickhouse/shared';
import { problemsOf } from '@/queries/filters';
import { exceptionParams, getExceptions } from '@/queries/getExceptions';
import { getExceptionAging } from '@/queries/getExceptionAging';
import { AGING_4H_OR_MORE, AGING_BUCKETS, AGING_UNDER_4H } from '@/lib/sla';
import { ERROR_CATEGORIES } from '@/lib/contract';
import { EXPORT_LIMIT, pageLinks, resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, Pager } from '@/components/Card';
import { DataTable, num } from '@/components/DataTable';
import { ParamSelect } from '@/components/ParamControls';
import { AgeBadge, StatusBadge } from '@/components/StatusBadge';
import { categoryLabel, flowLabel, fmtAge, fmtInt, fmtWhen } from '@/components/format';
import { txHref } from '@/components/links';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Exceptions' };

export default async function ExceptionsPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:exceptions', returnPath('/exceptions', sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const own = exceptionParams.safeParse(Object.fromEntries(['status', 'aging', 'category', 'recoverable'].filter((k) => view.params.get(k)).map((k) => [k, view.params.get(k)])));
  if (!own.success) return <FilterProblems problems={problemsOf(own.error)} />;
  const p = own.data;
  const f = view.filters;
  const store = await getReadStore();
  const [list, aging] = await Promise.all([
    getExceptions(store, f, access.scope, p),
    getExceptionAging(store, f, access.scope, { status: p.status, category: p.category, recoverable: p.recoverable }),
  ]);
  const pages = pageLinks(view, list.next_cursor);
  const plants = [...new Set(aging.items.map((a) => a.plant))].sort();
  const count = (plant: string | null, buckets: string | readonly string[] | null) =>
    aging.items.filter((a) => (plant === null || a.plant === plant) && (buckets === null || buckets.includes(a.bucket))).reduce((n, a) => n + a.count, 0);
  // the list's rows in all: the aging table counts the same exceptions (same filters), and the list also
  // narrows to the age buckets picked
  const listTotal = count(null, p.aging ?? null);
  const own4 = { status: p.status === 'all' ? 'all' : null, category: p.category ?? null, recoverable: p.recoverable ?? null };
  const exportParams = { status: p.status, ...(p.category ? { category: p.category } : {}), ...(p.recoverable ? { recoverable: p.recoverable } : {}) };
  const which = p.status === 'all' ? 'Exceptions (open and resolved)' : 'Open exceptions';

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Exceptions</h1>
          <p>Transactions whose current status is failed, {view.rangeLabel}. Age counts from the first failure after the last non-failed event.</p>
        </div>
      </div>

      <Card title="Aging by plant" sub={`${fmtInt(count(null, null))} ${p.status === 'all' ? 'exceptions' : 'open'}`} actions={<CsvLink href={view.csv('/api/v1/exceptions/aging', exportParams)} />} testId="aging-matrix">
        <DataTable
          columns={['Plant', ...AGING_BUCKETS.map((b) => ({ key: b.bucket, label: b.bucket, className: 'num' })), num('Total')]}
          rows={plants}
          empty={<Empty title={p.status === 'all' ? 'No exceptions' : 'No open exceptions'}>Nothing failed in this range for these filters.</Empty>}
          foot={
            <tr>
              <td>All plants</td>
              {AGING_BUCKETS.map((b) => (
                <td key={b.bucket} className="num">{count(null, b.bucket) ? <Link href={view.href('/exceptions', { ...own4, aging: b.bucket })}>{fmtInt(count(null, b.bucket))}</Link> : <span className="zero">0</span>}</td>
              ))}
              <td className="num">{count(null, null) ? <Link className="strong" href={view.href('/exceptions', { ...own4, aging: null })} data-testid="aging-all-total">{fmtInt(count(null, null))}</Link> : <span className="zero">0</span>}</td>
            </tr>
          }
          row={(plant) => (
            <tr key={plant}>
              <td><Link className="strong" href={view.href(`/flows/${encodeURIComponent(plant)}`)}>{plant}</Link></td>
              {AGING_BUCKETS.map((b, i) => {
                const n = count(plant, b.bucket);
                return (
                  <td key={b.bucket} className="num">
                    {n === 0 ? (
                      <span className="zero">0</span>
                    ) : (
                      <Link className={i >= 2 ? 'num-failed' : 'num-pending'} href={view.href('/exceptions', { ...own4, plant, aging: b.bucket })} data-testid={`aging-${plant}-${b.bucket}`}>
                        {fmtInt(n)}
                      </Link>
                    )}
                  </td>
                );
              })}
              <td className="num"><Link className="strong" href={view.href('/exceptions', { ...own4, plant, aging: null })}>{fmtInt(count(plant, null))}</Link></td>
            </tr>
          )}
        />
      </Card>

      <div className="section">
        <Card title={which} sub={`${fmtInt(listTotal)}, oldest first`} actions={<CsvLink href={view.csv('/api/v1/exceptions', { ...exportParams, ...(p.aging ? { aging: p.aging.join(',') } : {}), limit: EXPORT_LIMIT })} />} testId="exception-list">
          <div className="toolbar">
            <ParamSelect name="status" label="Show" allLabel="Open" options={[{ value: 'all', label: 'Open and resolved' }]} />
            <ParamSelect name="category" label="Error category" options={ERROR_CATEGORIES.map((c) => ({ value: c, label: categoryLabel(c) }))} />
            <ParamSelect name="recoverable" label="Recoverable" allLabel="Either" options={[{ value: 'true', label: 'Yes: a retry may work' }, { value: 'false', label: 'No: needs a fix' }]} />
            <ParamSelect name="aging" label="Age" allLabel="Any age" options={[...AGING_BUCKETS.map((b) => ({ value: b.bucket, label: b.bucket })), { value: AGING_UNDER_4H.join(','), label: 'under 4 h' }, { value: AGING_4H_OR_MORE.join(','), label: '4 h or more' }]} />
          </div>
          <DataTable
            columns={[
              'Correlation id',
              'Plant · flow',
              'Order · material',
              'Error',
              'Recoverable',
              num('Attempts'),
              'Age · failing since (UTC)',
              'State',
            ]}
            rows={list.items}
            empty={<Empty title="No exceptions match">Nothing failed for these filters in this range.</Empty>}
            row={(e) => (
              <tr key={e.correlation_id} data-testid={`exception-${e.correlation_id}`}>
                <td><Link className="strong mono" href={txHref(e.correlation_id, view.params)}>{e.correlation_id}</Link></td>
                <td><Link href={view.href(`/flows/${encodeURIComponent(e.plant)}`)}>{e.plant}</Link><span className="sub">{flowLabel(e.flow)}</span></td>
                <td>{[e.order_no, e.material].filter(Boolean).join(' · ') || <span className="zero">—</span>}</td>
                <td className="wrap">
                  <span className="tag tag-red">{categoryLabel(e.error_category)}</span>
                  <span className="mono">{e.error_code}</span>
                  <span className="sub">{e.error_message}</span>
                </td>
                <td>{e.recoverable === null ? '—' : e.recoverable ? <span className="tag tag-amber">retry may work</span> : <span className="tag tag-red">needs a fix</span>}</td>
                <td className="num">{e.attempts}</td>
                <td className="nowrap"><AgeBadge bucket={e.age_bucket} /> {fmtAge(e.age_seconds)}<span className="sub">since {fmtWhen(e.first_failed_at, f.at)}</span></td>
                <td><StatusBadge status={e.state} />{e.assignee && <span className="sub">{e.assignee}</span>}</td>
              </tr>
            )}
          />
          <Pager offset={f.offset} shown={list.items.length} total={listTotal} prev={pages.prev} next={pages.next} />
        </Card>
      </div>
    </>
  );
}
