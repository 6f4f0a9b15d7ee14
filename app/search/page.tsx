// Search: transactions whose order, material, lot, ERP document, correlation id or trace id is exactly
// the text asked for, newest first — over the last 90 days unless a range is chosen. One hit is one
// transaction; the row says which key matched.
import Link from 'next/link';
import Form from 'next/form';
import { getReadStore } from '@/clickhouse/shared';
import { searchTransactions } from '@/queries/searchTransactions';
import { EXPORT_LIMIT, pageLinks, resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, Pager, MaybeLink } from '@/components/Card';
import { DataTable } from '@/components/DataTable';
import { StatusBadge } from '@/components/StatusBadge';
import { flowLabel, fmtInt, fmtWhen } from '@/components/format';
import { txHref } from '@/components/links';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Search' };

const LOOKBACK_MS = 90 * 86_400_000;
const KEY_LABELS: Record<string, string> = { order_no: 'order', material: 'material', lot: 'lot', document_no: 'ERP document', correlation_id: 'correlation id', trace_id: 'trace id' };

export default async function SearchPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:transactions', returnPath('/search', sp));
  const view = resolveView(sp, { defaultLookbackMs: LOOKBACK_MS });
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const f = view.filters;
  const q = (view.params.get('q') ?? '').trim().slice(0, 128);
  const result = q ? await searchTransactions(await getReadStore(), q, f, access.scope) : null;
  const pages = result ? pageLinks(view, result.next_cursor) : { prev: null, next: null };
  const keep = [...view.params.entries()].filter(([k]) => k !== 'q' && k !== 'cursor');

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Search</h1>
          <p>Exact order number, material, lot, ERP document, correlation id or trace id · {view.rangeLabel}{view.params.has('range') || view.params.has('from') ? '' : ' (the last 90 days unless you pick a range)'}.</p>
        </div>
      </div>
      <div className="card card-body" style={{ marginBottom: '1.25rem' }}>
        <Form action="/search" className="search-big" role="search">
          <input name="q" type="search" defaultValue={q} key={q} placeholder="e.g. 4713, M-100, 5000000002, a correlation or trace id" autoFocus data-testid="search-input" aria-label="Search for" />
          {keep.map(([k, v], i) => (
            <input key={`${k}-${i}`} type="hidden" name={k} value={v} />
          ))}
          <button type="submit" className="btn btn-primary">Search</button>
        </Form>
      </div>
      {result && (
        <Card title={`Results for “${q}”`} sub={`${fmtInt(f.offset + result.items.length)}${result.next_cursor ? '+' : ''} transaction${f.offset + result.items.length === 1 ? '' : 's'}`} actions={<CsvLink href={view.csv('/api/v1/search', { q, limit: EXPORT_LIMIT })} />} testId="search-results">
          <DataTable
            columns={['Correlation id', 'Status', 'Plant · flow', 'Occurred (UTC)', 'Order', 'Material · lot', 'Document', 'Matched on']}
            rows={result.items}
            empty={
              <Empty title={`Nothing matches “${q}”`}>
                Search looks for an exact order, material, lot, ERP document, correlation id or trace id{access.scope.plants ? ` in your plants (${access.scope.plants.join(', ')})` : ''}. Check the value, or widen the time range.
              </Empty>
            }
            row={(h) => (
              <tr key={h.correlation_id} data-testid={`hit-${h.correlation_id}`}>
                <td><Link className="strong mono" href={txHref(h.correlation_id, view.params)}>{h.correlation_id}</Link></td>
                <td><StatusBadge status={h.status} /></td>
                <td><MaybeLink href={access.open(view.href(`/flows/${encodeURIComponent(h.plant)}`, { q: null }))}>{h.plant}</MaybeLink><span className="sub">{flowLabel(h.flow)}</span></td>
                <td className="nowrap">{fmtWhen(h.occurred_at, f.at)}</td>
                <td className="mono">{h.order_no || <span className="zero">—</span>}</td>
                <td>{[h.material, h.lot].filter(Boolean).join(' · ') || <span className="zero">—</span>}</td>
                <td className="mono">{h.document_no || <span className="zero">—</span>}</td>
                <td>{h.matched_on.map((m) => <span key={m} className="tag">{KEY_LABELS[m] ?? m}</span>)}</td>
              </tr>
            )}
          />
          <Pager offset={f.offset} shown={result.items.length} prev={pages.prev} next={pages.next} />
        </Card>
      )}
      {!result && (
        <Card title="What you can search for">
          <div className="card-body">
            <ul className="hint-list" style={{ margin: 0 }}>
              <li><b>Order</b> — a production order number, e.g. the one a plant says never arrived</li>
              <li><b>Material</b> or <b>lot</b> — every posting that moved it</li>
              <li><b>ERP document</b> — the material document the ERP answered with</li>
              <li><b>Correlation id</b> or <b>trace id</b> — from a log, an alert or the middleware</li>
            </ul>
          </div>
        </Card>
      )}
    </>
  );
}
