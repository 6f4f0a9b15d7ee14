// For pages (server components): who is looking, and which plants they may see. No session: to the
// sign-in page. No permission: a plain refusal page. Pages pass the returned scope into every query.
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getReadStore } from '../../clickhouse/shared';
import type { Scope } from '../../queries/filters';
import { can, type Permission, type Principal } from './policy';
import { resolvePrincipal } from './principal';

/** The signed-in user of this page request, or null. */
export async function currentPrincipal(): Promise<Principal | null> {
  const cookieHeader = (await cookies())
    .getAll()
    .map((c) => `${c.name}=${encodeURIComponent(c.value)}`)
    .join('; ');
  const h = await headers();
  const request = new Request('http://plantline.local/', { headers: { cookie: cookieHeader, ...(h.get('authorization') ? { authorization: h.get('authorization')! } : {}) } });
  return resolvePrincipal(await getReadStore(), request);
}

export async function pagePrincipal(permission: Permission, returnTo = '/'): Promise<{ principal: Principal; scope: Scope }> {
  const principal = await currentPrincipal();
  if (!principal) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  if (!can(principal, permission)) redirect(`/denied?need=${encodeURIComponent(permission)}`);
  return { principal, scope: { plants: principal.plants } };
}
