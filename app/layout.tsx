// The shell every page shares: header (product, pages the viewer may open, search, user), the filter
// bar kept in the URL, and the page. The plant list of the filter comes from what Plantline has
// received, within the viewer's plants; nobody signed in (the sign-in page) sees no menus or plants.
import type { Metadata, Viewport } from 'next';
import Link from 'next/link';
import { Suspense, type ReactNode } from 'react';
import { getReadStore } from '@/clickhouse/shared';
import { getPlantCodes } from '@/queries/getPlantCodes';
import { can, type Principal } from '@/lib/auth/policy';
import { currentPrincipal } from '@/lib/auth/page';
import { FilterBar } from '@/components/FilterBar';
import { NavLinks } from '@/components/NavLinks';
import { SearchBox } from '@/components/SearchBox';
import { UserMenu } from '@/components/UserMenu';
import { PAGES } from '@/components/links';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Plantline', template: '%s · Plantline' },
  description: 'Plant-to-ERP data flows: failed postings, inventory variance, SLA breaches, per-plant latency.',
};
export const viewport: Viewport = { width: 'device-width', initialScale: 1 };
export const dynamic = 'force-dynamic';

async function viewerAndPlants(): Promise<{ viewer: Principal | null; plants: string[] }> {
  try {
    const viewer = await currentPrincipal();
    if (!viewer) return { viewer, plants: [] };
    return { viewer, plants: await getPlantCodes(await getReadStore(), { plants: viewer.plants }) };
  } catch (e) {
    // the page itself reports a store that does not answer; the shell just stays bare
    console.error('[layout] viewer and plant list:', (e as Error).message);
    return { viewer: null, plants: [] };
  }
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const { viewer, plants } = await viewerAndPlants();
  const allowed = viewer ? PAGES.filter((p) => can(viewer, p.permission)).map((p) => p.path) : [];
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#content">Skip to content</a>
        <header className="app-header">
          <Link className="brand" href="/">
            <span className="brand-mark" aria-hidden />
            Plantline
          </Link>
          <Suspense fallback={<nav className="nav" />}>
            <NavLinks allowed={allowed} />
          </Suspense>
          {allowed.includes('/search') && (
            <Suspense>
              <SearchBox />
            </Suspense>
          )}
          <div className="user-slot">
            <UserMenu />
          </div>
        </header>
        {viewer && (
          <Suspense fallback={<div className="filter-bar" />}>
            <FilterBar plants={plants} renderedAt={new Date().toISOString()} />
          </Suspense>
        )}
        <main className="page" id="content" tabIndex={-1}>{children}</main>
      </body>
    </html>
  );
}
