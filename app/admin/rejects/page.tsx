// Rejected messages: what the contract checks or the store refused, newest first, with the reason, where
// each came from and its first bytes, over the header's time range; every byte is in the CSV export.
import { Card, CsvLink, Empty, FilterProblems, Pager } from '@/components/Card';
import { DataTable } from '@/components/DataTable';
import { ParamSelect, ParamText } from '@/components/ParamControls';
import { EXPORT_LIMIT, pageLinks, resolveView, type PageSearchParams } from '@/components/view';
import { problemsOf } from '@/queries/filters';
import { getReadStore } from '@/clickhouse/shared';
import { pagePrincipal } from '@/lib/auth/page';
import { listRejects, rejectParams } from '@/queries/listRejects';
import { fmtInt } from '@/components/format';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Rejected messages' };

export default async function RejectsPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  await pagePrincipal('admin', '/admin/rejects');
  const sp = await searchParams;
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const own = rejectParams.safeParse(Object.fromEntries(['stream', 'source', 'reason'].filter((k) => view.params.get(k)).map((k) => [k, view.params.get(k)])));
  if (!own.success) return <FilterProblems problems={problemsOf(own.error)} />;
  const p = own.data;
  const f = view.filters;
  // the same question as GET /api/v1/admin/rejects, page for page
  const { items, next_cursor } = await listRejects(await getReadStore(), f, p);
  const pages = pageLinks(view, next_cursor);
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Rejected messages</h1>
          <p>
            Messages the contract checks or the store refused, kept with their reason and every byte · received {view.rangeLabel}. A message
            delivered again is shown once.
          </p>
        </div>
      </div>
      <Card
        title="Rejects"
        sub={`${fmtInt(f.offset + items.length)}${next_cursor ? '+' : ''}, newest first`}
        actions={<CsvLink href={view.csv('/api/v1/admin/rejects', { ...p, limit: EXPORT_LIMIT })} />}
        testId="rejects-card"
      >
        <div className="toolbar">
          <ParamSelect name="stream" label="Stream" options={['postings', 'inventory', 'spans'].map((value) => ({ value, label: value }))} />
          <ParamSelect name="source" label="Source" options={['kafka', 'http', 'file', 'store'].map((value) => ({ value, label: value === 'store' ? 'refused by the store' : value }))} />
          <ParamText name="reason" label="Reason" placeholder="field flow" />
        </div>
        <DataTable
          testId="rejects"
          columns={['Received (UTC)', 'Stream', 'Source · position', 'Reason', 'Message']}
          rows={items}
          empty={<Empty title="Nothing rejected">No message was refused in this time range{p.stream || p.source || p.reason ? ' for these filters' : ''}.</Empty>}
          row={(r) => (
            <tr key={`${r.stream}/${r.source}/${r.source_position}`} data-testid="reject-row">
              <td className="nowrap">{r.received_at.slice(0, 19).replace('T', ' ')}</td>
              <td>{r.stream}</td>
              <td className="wrap">
                {r.source}
                <span className="sub mono">{r.source_position}</span>
              </td>
              <td className="wrap">{r.reason}</td>
              <td className="wrap">
                <code className="mono">{r.raw_preview}{r.truncated ? '…' : ''}</code>
                <span className="sub">{fmtInt(r.raw_bytes)} bytes</span>
              </td>
            </tr>
          )}
        />
        <Pager offset={f.offset} shown={items.length} prev={pages.prev} next={pages.next} />
      </Card>
    </>
  );
}
