// The signed-in user at the right of the header: who, which role and plants, admin pages for admins,
// and sign-out. Nobody signed in: a link to sign in.
import Link from 'next/link';
import { currentPrincipal } from '@/lib/auth/page';
import { SignOutButton } from './SignOutButton';

export async function UserMenu() {
  const principal = await currentPrincipal().catch(() => null);
  if (!principal) {
    return (
      <Link className="btn" href="/signin">
        Sign in
      </Link>
    );
  }
  return (
    <div className="user-menu" data-testid="user-menu">
      <span className="user-name">{principal.name}</span>
      <span className="user-role">
        {principal.role}
        {principal.plants ? ` · ${principal.plants.join(', ')}` : ''}
      </span>
      {principal.role === 'admin' && (
        <Link href="/admin/tokens" className="btn btn-quiet">
          Admin
        </Link>
      )}
      <SignOutButton />
    </div>
  );
}
