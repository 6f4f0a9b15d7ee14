// API tokens for scripts and ingest: role, plants, when last used; create (shown once) and revoke.
import { getReadStore } from '@/clickhouse/shared';
import { pagePrincipal } from '@/lib/auth/page';
import { listTokens } from '@/queries/identity';
import { CreateTokenForm, RevokeTokenButton } from '@/components/admin/AdminForms';
import { DataTable } from '@/components/DataTable';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'API tokens' };

export default async function TokensPage() {
  await pagePrincipal('admin', '/admin/tokens');
  const tokens = await listTokens(await getReadStore());
  return (
    <>
      <div className="page-head">
        <div>
          <h1>API tokens</h1>
          <p>Role-bound, optionally plant-scoped tokens for scripts and automation. Stored as hashes; shown once.</p>
        </div>
      </div>
      <section className="card">
        <div className="card-head"><h2>New token</h2></div>
        <div className="card-body"><CreateTokenForm /></div>
      </section>
      <section className="card section">
        <div className="card-head"><h2>Tokens <span className="sub">{tokens.length}</span></h2></div>
        <DataTable
          testId="tokens"
          columns={['Name', 'Role', 'Plants', 'Created (UTC)', 'By', 'Last used', 'State', 'Revoke']}
          rows={tokens}
          row={(t) => (
            <tr key={t.token_id}>
              <td>{t.name}</td>
              <td>{t.role}</td>
              <td>{t.plants.length ? t.plants.join(', ') : 'all'}</td>
              <td>{t.created_at.slice(0, 16).replace('T', ' ')}</td>
              <td>{t.created_by}</td>
              <td>{t.last_used_at ? `${t.last_used_at.slice(0, 16).replace('T', ' ')} UTC` : 'never'}</td>
              <td>{t.revoked_at ? `revoked ${t.revoked_at.slice(0, 10)}` : 'active'}</td>
              <td>{!t.revoked_at && <RevokeTokenButton tokenId={t.token_id} name={t.name} />}</td>
            </tr>
          )}
        />
      </section>
    </>
  );
}
