// Who is looking, for the pages: lib/auth/page.ts (no session: to the sign-in page; no permission: to
// the refusal page), plus what else the viewer may do (a page shows a part only to some roles).
import { can, type Permission, type Principal } from '@/lib/auth/policy';
import { pagePrincipal } from '@/lib/auth/page';
import type { Scope } from '@/queries/filters';
import { toSearchParams, type PageSearchParams } from './view';
import { pagePermission } from './links';

export type Access = {
  principal: Principal;
  scope: Scope;
  can: (p: Permission) => boolean;
  /** `href` when the viewer may open that page, else null: a number links only where its rows can be seen */
  open: (href: string) => string | null;
};

/** The page's URL, to come back to after signing in. */
export function returnPath(path: string, sp: PageSearchParams): string {
  const qs = toSearchParams(sp).toString();
  return qs ? `${path}?${qs}` : path;
}

/** For a page: who is looking, which plants they may see, and what else they may do. */
export async function pageAccess(permission: Permission, returnTo: string): Promise<Access> {
  const { principal, scope } = await pagePrincipal(permission, returnTo);
  return {
    principal,
    scope,
    can: (p) => can(principal, p),
    open: (href) => {
      const needed = pagePermission(href);
      return needed === null || can(principal, needed) ? href : null;
    },
  };
}
