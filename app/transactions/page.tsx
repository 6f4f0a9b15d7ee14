// The transactions behind a count: every transaction of the range as it stood at `at`, narrowed by
// status, SLA state, first-pass outcome or material — reached from the overview's and the flow
// matrix's numbers. Each row opens the transaction.
import Link from 'next/link';
import { getReadStore } from '@/clickhouse/shared';
import { problemsOf } from '@/queries/filters';
import { listTransactions, transactionListParams, type TransactionListParams } from '@/queries/listTransactions';
import { SLA_COUNTED } from '@/lib/sla';
import { EXPORT_LIMIT, resolveView, pageLinks, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, Pager, MaybeLink } from '@/components/Card';
import { DataTable, num } from '@/components/DataTable';
import { ParamSelect, ParamText } from '@/components/ParamControls';
import { SlaBadge, StatusBadge } from '@/components/StatusBadge';
import { categoryLabel, flowLabel, fmtDuration, fmtInt, fmtSigned, fmtWhen } from '@/components/format';
import { txHref } from '@/components/links';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Transactions' };

const SLA_WORDS: Record<string, string> = { met: 'within SLA', closed_breach: 'posted late', open_breach: 'open breach', open: 'running, within SLA' };
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v) => b.includes(v));

/** What the list holds, in words: its heading. */
function titleOf(p: TransactionListParams): string {
  if (p.explains) return EXPLAINS_TITLES[p.explains];
  if (p.first_pass) return p.first_pass === 'false' ? 'Not posted on the first attempt' : 'Posted on the first attempt';
  const status = p.status ? `${p.status.join(' or ')} transactions` : 'transactions';
  const sla = p.sla ? (sameSet(p.sla, SLA_COUNTED) ? 'counted in SLA compliance' : p.sla.map((s) => SLA_WORDS[s]).join(' or ')) : '';
  const text = p.status && sameSet(p.status, ['posted', 'failed']) && !p.sla ? 'Finished transactions (posted or failed)' : sla ? `${status}: ${sla}` : status;
  return text[0].toUpperCase() + text.slice(1);
}
// the parts of an inventory variance (the inventory page's Pending, Failed and Duplicate figures)
const EXPLAINS_TITLES: Record<string, string> = {
  pending: 'Pending at the cut-off: explains part of a variance',
  failed: 'Failed at the cut-off: explains part of a variance',
  duplicate: 'Posted more than once by the ERP: explains part of a variance',
};

export default async function TransactionsPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  const sp = await searchParams;
  const access = await pageAccess('view:transactions', returnPath('/transactions', sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const own = transactionListParams.safeParse(
    Object.fromEntries(['status', 'sla', 'first_pass', 'material', 'explains', 'storage_location', 'lot', 'sort'].map((name) => [name, view.params.get(name) ?? undefined])),
  );
  if (!own.success) return <FilterProblems problems={problemsOf(own.error)} />;
  const p = own.data;
  const f = view.filters;
  const { items, total, next_cursor } = await listTransactions(await getReadStore(), f, access.scope, p);
  const pages = pageLinks(view, next_cursor);
  const title = titleOf(p);
  const exportParams = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
  // behind a part of a variance, the whole list (one page) adds up to the figure, per unit before conversion
  const explainedSum =
    p.explains && !next_cursor && f.offset === 0 && items.length > 0
      ? [...new Set(items.map((t) => t.explained_uom ?? ''))].map((uom) => `${fmtSigned(items.filter((t) => t.explained_uom === uom).reduce((n, t) => n + (t.explained_qty ?? 0), 0))} ${uom}`.trim()).join(', ')
      : '';
  const inventoryKey = p.explains ? [f.plants.join(', '), p.storage_location, p.material, p.lot].filter((part) => part !== undefined && part !== '').join(' / ') : '';
  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs"><Link href={view.href('/')}>Overview</Link> / transactions</div>
          <h1>{title}</h1>
          {p.explains ? (
            <p data-testid="explains-key">
              Inventory key {inventoryKey || 'any'}: ERP-bound postings with a stock effect, as they stood at the cut-off (the instant shown) · {view.rangeLabel}.
            </p>
          ) : (
            <p>{view.rangeLabel}{f.plants.length ? ` · plants ${f.plants.join(', ')}` : ''}{p.material ? ` · material ${p.material}` : ''}; status as of the instant shown.</p>
          )}
        </div>
      </div>
      <Card
        title={title}
        sub={`${fmtInt(total)} transaction${total === 1 ? '' : 's'}, ${p.sort === 'latency' ? 'slowest first' : 'newest first'}${explainedSum ? ` · together ${explainedSum}` : ''}`}
        actions={<CsvLink href={view.csv('/api/v1/transactions', { ...exportParams, limit: EXPORT_LIMIT })} />}
        testId="transaction-list"
      >
        <div className="toolbar">
          <ParamSelect name="status" label="Status" options={[{ value: 'posted', label: 'posted' }, { value: 'pending', label: 'pending' }, { value: 'failed', label: 'failed' }, { value: 'posted,failed', label: 'posted or failed' }]} />
          <ParamSelect name="sla" label="SLA" options={[...Object.entries(SLA_WORDS).map(([value, label]) => ({ value, label })), { value: SLA_COUNTED.join(','), label: 'counted in compliance' }]} />
          <ParamSelect name="first_pass" label="First attempt" options={[{ value: 'true', label: 'posted on attempt 1' }, { value: 'false', label: 'not posted on attempt 1' }]} />
          <ParamText name="material" label="Material" placeholder="any" />
          <ParamSelect name="sort" label="Order" allLabel="Newest first" options={[{ value: 'latency', label: 'Slowest first' }]} />
        </div>
        <DataTable
          columns={[
            'Correlation id',
            'Status',
            'Plant',
            'Flow',
            'Occurred (UTC)',
            'Order · material · lot',
            'Document',
            num('Attempts'),
            num('Latency'),
            'SLA',
            ...(p.explains ? ['At the cut-off', num('Part of the figure')] : []),
          ]}
          rows={items}
          empty={<Empty title="No transactions match">Nothing in the selected range matches these filters.</Empty>}
          row={(t) => (
            <tr key={t.correlation_id} data-testid="tx-row">
              <td><Link className="strong mono" href={txHref(t.correlation_id, view.params)}>{t.correlation_id}</Link></td>
              <td>
                <StatusBadge status={t.status} />
                {t.error_category && <span className="sub">{categoryLabel(t.error_category)}</span>}
              </td>
              <td><MaybeLink href={access.open(view.href(`/flows/${encodeURIComponent(t.plant)}`))}>{t.plant}</MaybeLink></td>
              <td>{flowLabel(t.flow)}</td>
              <td className="nowrap">{fmtWhen(t.occurred_at, f.at)}</td>
              <td>{[t.order_no, t.material, t.lot].filter(Boolean).join(' · ') || <span className="zero">—</span>}</td>
              <td className="mono">{t.document_no || <span className="zero">—</span>}</td>
              <td className="num">{t.attempts}</td>
              <td className="num">{fmtDuration(t.latency_ms)}</td>
              <td><SlaBadge state={t.sla_state} /> <span className="sub">threshold {t.threshold_minutes} min</span></td>
              {p.explains && (
                <>
                  <td><StatusBadge status={t.status_at_cutoff ?? ''} /></td>
                  <td className="num" data-testid="explains-effect">{fmtSigned(t.explained_qty)} {t.explained_uom}</td>
                </>
              )}
            </tr>
          )}
        />
        <Pager offset={f.offset} shown={items.length} total={total} prev={pages.prev} next={pages.next} />
      </Card>
    </>
  );
}
