'use client';
// The admin pages, one tab each: the header's Admin link opens the first.
import Link from 'next/link';
import { usePathname } from 'next/navigation';

export const ADMIN_PAGES = [
  { href: '/admin/tokens', label: 'API tokens' },
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/audit', label: 'Audit log' },
  { href: '/admin/rejects', label: 'Rejected messages' },
] as const;

export function AdminNav() {
  const here = usePathname();
  return (
    <nav className="seg admin-nav" aria-label="Admin pages" data-testid="admin-nav">
      {ADMIN_PAGES.map((p) => (
        <Link key={p.href} href={p.href} aria-current={here === p.href ? 'true' : undefined}>
          {p.label}
        </Link>
      ))}
    </nav>
  );
}
