// Local users: role and plants; create one. (OIDC users are managed at the identity provider.)
import { getReadStore } from '@/clickhouse/shared';
import { pagePrincipal } from '@/lib/auth/page';
import { listUsers } from '@/queries/identity';
import { CreateUserForm } from '@/components/admin/AdminForms';
import { DataTable } from '@/components/DataTable';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Users' };

export default async function UsersPage() {
  await pagePrincipal('admin', '/admin/users');
  const users = await listUsers(await getReadStore());
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Users</h1>
          <p>Local accounts. A user limited to plants sees only those plants, in every page, export and API answer.</p>
        </div>
      </div>
      <section className="card">
        <div className="card-head"><h2>New user</h2></div>
        <div className="card-body"><CreateUserForm /></div>
      </section>
      <section className="card section">
        <div className="card-head"><h2>Users <span className="sub">{users.length}</span></h2></div>
        <DataTable
          testId="users"
          columns={['Email', 'Name', 'Role', 'Plants', 'State']}
          rows={users}
          row={(u) => (
            <tr key={u.user_id}>
              <td>{u.email}</td><td>{u.name}</td><td>{u.role}</td><td>{u.plants.length ? u.plants.join(', ') : 'all'}</td><td>{u.disabled ? 'disabled' : 'active'}</td>
            </tr>
          )}
        />
      </section>
    </>
  );
}
