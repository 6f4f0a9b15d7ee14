// Inventory reconciliation (month-end, finance): per plant, storage location, material and lot, the
// MES and ERP balances at the cut-off, their variance and its value, and what explains it — postings
// still pending, failed, or taken twice by the ERP — leaving a residual that nothing explains (flagged).
import Link from 'next/link';
import { getReadStore } from '@/clickhouse/shared';
import { BadRequest, problemsOf } from '@/queries/filters';
import { getInventoryVariance, latestStockCount, varianceParams } from '@/queries/getInventoryVariance';
import { pageLinks, resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, Pager } from '@/components/Card';
import { DataTable, num } from '@/components/DataTable';
import { ParamDateTime, ParamSelect, ParamText } from '@/components/ParamControls';
import { fmtInt, fmtMoney, fmtQty, fmtSigned, fmtUtc } from '@/components/format';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Inventory' };

const FLAG_TEXT: Record<string, string> = {
  unexplained: 'unexplained residual',
  missing_mes: 'no MES balance',
  missing_erp: 'no ERP balance',
  no_conversion: 'no unit conversion MES → ERP',
  no_conversion_postings: 'no unit conversion for postings',
};

export default async function InventoryPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:inventory', returnPath('/inventory', sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const own = varianceParams.safeParse(Object.fromEntries(['as_of', 'material', 'only'].filter((k) => view.params.get(k)).map((k) => [k, view.params.get(k)])));
  if (!own.success) return <FilterProblems problems={problemsOf(own.error)} />;
  const p = own.data;
  const f = view.filters;
  // what needs attention first: flagged keys, then the largest values, a page at a time; the totals
  // are over every key, and the export has every key
  let variance: Awaited<ReturnType<typeof getInventoryVariance>>;
  let stockCount: string | null = null;
  try {
    const store = await getReadStore();
    [variance, stockCount] = await Promise.all([
      getInventoryVariance(store, f, access.scope, { ...p, sort: 'attention' }),
      p.as_of ? Promise.resolve(null) : latestStockCount(store, f, access.scope, p.material),
    ]);
  } catch (e) {
    // a cut-off after the view's as-of instant: the same reason the API gives
    if (e instanceof BadRequest) return <FilterProblems problems={e.problems} />;
    throw e;
  }
  const { items, as_of, totals, next_cursor } = variance;
  const pages = pageLinks(view, next_cursor);
  // the same page narrowed to the keys behind a tile (the table lists them, largest first after the flagged);
  // only from every key: a narrowed page's tiles count within its narrowing, which another one would not list
  const onlyLink = (only: 'all' | 'unexplained' | 'variance') => view.href('/inventory', { as_of: p.as_of ? as_of : null, material: p.material ?? null, only: only === 'all' ? null : only });
  const exportParams = { as_of, ...(p.material ? { material: p.material } : {}), ...(p.only !== 'all' ? { only: p.only } : {}), sort: 'attention' };
  // the transactions behind an explained part: those of the key that the figure sums, as they stood at the
  // cut-off, over every day a posting is kept (the figure has no lower bound; the list's range is at most
  // 400 days, PLANTLINE_RETENTION_DAYS' default); the variance is per key, whatever the flow filter
  const cutoff = new Date(as_of);
  const explainedLink = (r: (typeof items)[number], explains: 'pending' | 'failed' | 'duplicate') =>
    view.href('/transactions', {
      plant: r.plant,
      flow: null,
      storage_location: r.storage_location,
      material: r.material,
      lot: r.lot,
      explains,
      range: null,
      from: new Date(cutoff.getTime() + 1000 - 400 * 86_400_000).toISOString(),
      to: new Date(cutoff.getTime() + 1000).toISOString(),
      at: as_of,
    });

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Inventory variance</h1>
          <p>
            Cut-off {fmtUtc(as_of, 'MMM d, yyyy HH:mm:ss')} UTC{p.as_of ? '' : ' (the view’s as-of instant)'} · variance = MES − ERP, valued at the latest ERP unit cost ·
            residual = variance − pending − failed − duplicate postings.
          </p>
        </div>
      </div>
      {stockCount && stockCount !== as_of && (
        <div className="callout callout-amber" data-testid="stock-count">
          <div>
            <strong>Balances come from the latest stock count, at {fmtUtc(stockCount, 'MMM d, HH:mm:ss')} UTC</strong>
            Postings after it can show as an unexplained residual until the next count.{' '}
            <Link href={view.href('/inventory', { as_of: stockCount, material: p.material ?? null, only: p.only !== 'all' ? p.only : null })} data-testid="stock-count-link">Reconcile as of that count</Link>
          </div>
        </div>
      )}

      <section className="kpis" aria-label="Totals" style={{ marginBottom: '1.25rem' }}>
        <div className="card kpi" data-testid="variance-keys">
          <div className="kpi-label">Keys</div>
          <div className="kpi-value"><a href="#variance-table">{fmtInt(totals.keys)}</a></div>
          <div className="kpi-detail">{p.only === 'all' ? 'compared at the cut-off' : <Link href={onlyLink('all')}>show every key</Link>}</div>
        </div>
        <div className={`card kpi ${totals.value_abs !== 0 ? 'tone-warn' : 'tone-good'}`} data-testid="variance-value">
          <div className="kpi-label">Variance value</div>
          <div className="kpi-value">{totals.value_abs !== 0 && p.only === 'all' ? <Link href={onlyLink('variance')} data-testid="variance-value-link">{fmtMoney(totals.value_abs)}</Link> : fmtMoney(totals.value_abs)}</div>
          <div className="kpi-detail">unsigned, over the keys with a variance; net {fmtMoney(totals.value)}</div>
        </div>
        <div className={`card kpi ${totals.flagged ? 'tone-bad' : 'tone-good'}`} data-testid="variance-flagged">
          <div className="kpi-label">Flagged keys</div>
          <div className="kpi-value">{totals.flagged && p.only === 'all' ? <Link href={onlyLink('unexplained')} data-testid="variance-flagged-link">{fmtInt(totals.flagged)}</Link> : fmtInt(totals.flagged)}</div>
          <div className="kpi-detail" data-testid="variance-unexplained">
            {totals.unexplained_value_abs !== 0 && p.only === 'all' ? <Link href={onlyLink('unexplained')}>unexplained value {fmtMoney(totals.unexplained_value_abs)}</Link> : `unexplained value ${fmtMoney(totals.unexplained_value_abs)}`} (net {fmtMoney(totals.unexplained_value)})
          </div>
        </div>
      </section>

      <Card title="Variance per key" sub={`${fmtInt(totals.keys)} key${totals.keys === 1 ? '' : 's'} · flagged first, then the largest values${next_cursor || f.offset ? ' · every key in the CSV' : ''}`} actions={<CsvLink href={view.csv('/api/v1/inventory/variance', exportParams)} />} testId="variance-table" id="variance-table">
        <div className="toolbar">
          <ParamDateTime name="as_of" label="Cut-off" placeholder="default: as of" />
          <ParamText name="material" label="Material" placeholder="any" />
          <ParamSelect name="only" label="Show" allLabel="All keys" options={[{ value: 'unexplained', label: 'Flagged only' }, { value: 'variance', label: 'With a variance value' }]} />
        </div>
        <DataTable
          columns={[
            'Plant',
            'SLoc',
            'Material · lot',
            num('MES'),
            num('ERP'),
            num('Variance'),
            num('Value'),
            num('Pending'),
            num('Failed'),
            num('Duplicate'),
            num('Residual'),
            'Flags',
          ]}
          rows={items}
          empty={<Empty title="No inventory snapshots at this cut-off">Plantline compares the latest MES and ERP snapshots taken at or before the cut-off.</Empty>}
          row={(r) => {
            const bad = r.flags.length > 0;
            return (
              <tr key={`${r.plant}/${r.storage_location}/${r.material}/${r.lot}`} className={bad ? 'row-red' : r.variance ? 'row-amber' : 'row-green'} data-testid={`variance-${r.material}`}>
                <td>{r.plant}</td>
                <td className="mono">{r.storage_location}</td>
                <td>
                  <Link className="strong" href={view.href('/search', { q: r.material, range: null, from: null, to: null })}>{r.material}</Link>
                  {r.lot && <span className="sub">lot {r.lot}</span>}
                </td>
                <td className="num">{r.mes_qty === null ? <span className="zero">—</span> : <>{fmtQty(r.mes_qty)} <span className="zero">{r.uom}</span></>}</td>
                <td className="num">{r.erp_qty === null ? <span className="zero">—</span> : <>{fmtQty(r.erp_qty)} <span className="zero">{r.uom}</span></>}</td>
                <td className="num strong">{fmtSigned(r.variance)}</td>
                <td className="num">{fmtMoney(r.value)}</td>
                <td className="num">{r.explained_pending ? <Link className="num-pending" href={explainedLink(r, 'pending')}>{fmtSigned(r.explained_pending)}</Link> : <span className="zero">0</span>}</td>
                <td className="num">{r.explained_failed ? <Link className="num-failed" href={explainedLink(r, 'failed')}>{fmtSigned(r.explained_failed)}</Link> : <span className="zero">0</span>}</td>
                <td className="num">{r.explained_duplicate ? <Link className="num-failed" href={explainedLink(r, 'duplicate')}>{fmtSigned(r.explained_duplicate)}</Link> : <span className="zero">0</span>}</td>
                <td className={`num ${r.residual ? 'num-failed' : r.residual === 0 ? 'num-posted' : ''}`}>{fmtSigned(r.residual)}</td>
                <td>
                  {r.flags.length === 0 ? (
                    <span className="zero">{r.variance ? 'fully explained' : 'in balance'}</span>
                  ) : (
                    r.flags.map((fl) => (
                      <span key={fl} className={`tag ${fl === 'unexplained' ? 'tag-red' : 'tag-amber'}`}>
                        {FLAG_TEXT[fl] ?? fl}
                      </span>
                    ))
                  )}
                </td>
              </tr>
            );
          }}
        />
        <Pager offset={f.offset} shown={items.length} total={totals.keys} prev={pages.prev} next={pages.next} />
      </Card>
    </>
  );
}
