'use client';
// The header's navigation: every link keeps the shared filters of the current URL, so moving from one
// page to another keeps plants, flows, time range and as-of instant.
import Link from 'next/link';
import { usePathname, useSearchParams } from 'next/navigation';
import { hrefWith, PAGES } from './links';


/** `allowed`: the paths the viewer's role may open. */
export function NavLinks({ allowed }: { allowed: string[] }) {
  const pathname = usePathname();
  const params = useSearchParams();
  return (
    <nav className="nav" aria-label="Pages">
      {PAGES.filter((p) => allowed.includes(p.path)).map((p) => {
        const active = p.path === '/' ? pathname === '/' : pathname === p.path || pathname.startsWith(`${p.path}/`);
        return (
          <Link key={p.path} href={hrefWith(p.path, new URLSearchParams(params.toString()))} aria-current={active ? 'page' : undefined}>
            {p.label}
          </Link>
        );
      })}
    </nav>
  );
}
