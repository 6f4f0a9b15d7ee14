// The audit log: sign-ins and failures, token and user changes, exception actions and replays —
// newest first, filtered by actor and action over the page's time range.
import { CsvLink } from '@/components/Card';
import { DataTable } from '@/components/DataTable';
import { getReadStore } from '@/clickhouse/shared';
import { pagePrincipal } from '@/lib/auth/page';
import { listAudit } from '@/queries/identity';
import { parseFilters, BadRequest } from '@/queries/filters';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Audit log' };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await pagePrincipal('admin', '/admin/audit');
  const sp = await searchParams;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(sp)) for (const x of Array.isArray(v) ? v : v ? [v] : []) params.append(k, x);
  let filters;
  try {
    filters = parseFilters(params);
  } catch (e) {
    return <p role="alert">{e instanceof BadRequest ? e.problems.join('; ') : 'bad filters'}</p>;
  }
  const actor = typeof sp.actor === 'string' && sp.actor ? sp.actor : undefined;
  const action = typeof sp.action === 'string' && sp.action ? sp.action : undefined;
  const entries = await listAudit(await getReadStore(), { from: filters.from, to: filters.to, actor, action, limit: filters.limit, offset: filters.offset });
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p>Append-only. {filters.from.toISOString().slice(0, 16)} to {filters.to.toISOString().slice(0, 16)} UTC.</p>
        </div>
        <form className="admin-form inline" method="get">
          <label>Actor <input name="actor" defaultValue={actor} /></label>
          <label>Action <input name="action" defaultValue={action} placeholder="sign_in_failed" /></label>
          <button className="btn" type="submit">Filter</button>
        </form>
      </div>
      <section className="card">
        <div className="card-head">
          <h2>Entries <span className="sub">{entries.length}</span></h2>
          <div className="card-actions"><CsvLink href={`/api/v1/admin/audit?${new URLSearchParams([...params, ['format', 'csv']]).toString()}`} /></div>
        </div>
        <DataTable
          testId="audit"
          columns={['At (UTC)', 'Actor', 'Action', 'Target', 'Plant', 'Outcome', 'From', 'Details']}
          rows={entries}
          row={(e, i) => (
            <tr key={`${e.at}-${i}`} className={e.outcome !== 'ok' ? 'row-warn' : undefined}>
              <td>{e.at.slice(0, 19).replace('T', ' ')}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.target}</td><td>{e.plant}</td><td>{e.outcome}</td><td>{e.ip}</td><td><code>{e.details}</code></td>
            </tr>
          )}
        />
      </section>
    </>
  );
}
