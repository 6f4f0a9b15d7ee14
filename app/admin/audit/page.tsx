// The audit log: sign-ins and failures, token and user changes, exception actions and replays —
// newest first, filtered by actor and action over the header's time range, a page at a time.
import { Card, CsvLink, Empty, FilterProblems, Pager } from '@/components/Card';
import { DataTable } from '@/components/DataTable';
import { ParamText } from '@/components/ParamControls';
import { EXPORT_LIMIT, pageLinks, resolveView, type PageSearchParams } from '@/components/view';
import { getReadStore } from '@/clickhouse/shared';
import { pagePrincipal } from '@/lib/auth/page';
import { listAudit } from '@/queries/identity';
import { fmtInt } from '@/components/format';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Audit log' };

export default async function AuditPage({ searchParams }: { searchParams: Promise<PageSearchParams> }) {
  await pagePrincipal('admin', '/admin/audit');
  const sp = await searchParams;
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const f = view.filters;
  const actor = typeof sp.actor === 'string' && sp.actor ? sp.actor : undefined;
  const action = typeof sp.action === 'string' && sp.action ? sp.action : undefined;
  // the same question as GET /api/v1/admin/audit, page for page
  const { items: entries, next_cursor: next } = await listAudit(await getReadStore(), f, { actor, action });
  const pages = pageLinks(view, next);
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p>Append-only, newest first · {view.rangeLabel}.</p>
        </div>
      </div>
      <Card
        title="Entries"
        sub={`${fmtInt(f.offset + entries.length)}${next ? '+' : ''}`}
        actions={<CsvLink href={view.csv('/api/v1/admin/audit', { limit: EXPORT_LIMIT, actor: actor ?? null, action: action ?? null })} />}
        testId="audit-card"
      >
        <div className="toolbar">
          <ParamText name="actor" label="Actor" placeholder="email or token name" />
          <ParamText name="action" label="Action" placeholder="sign_in_failed" />
        </div>
        <DataTable
          testId="audit"
          columns={['At (UTC)', 'Actor', 'Action', 'Target', 'Plant', 'Outcome', 'From', 'Details']}
          rows={entries}
          empty={<Empty title="Nothing audited">No entry in this time range{actor || action ? ' for these filters' : ''}.</Empty>}
          row={(e, i) => (
            <tr key={`${e.at}-${i}`} className={e.outcome !== 'ok' ? 'row-warn' : undefined}>
              <td>{e.at.slice(0, 19).replace('T', ' ')}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.target}</td><td>{e.plant}</td><td>{e.outcome}</td><td>{e.ip}</td><td><code>{e.details}</code></td>
            </tr>
          )}
        />
        <Pager offset={f.offset} shown={entries.length} prev={pages.prev} next={pages.next} />
      </Card>
    </>
  );
}
