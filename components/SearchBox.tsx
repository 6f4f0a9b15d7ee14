'use client';
// The header's search: an order, material, lot, ERP document, correlation id or trace id. A plain GET
// form to /search (next/form navigates client-side), at the same as-of instant as the page.
import Form from 'next/form';
import { usePathname, useSearchParams } from 'next/navigation';

export function SearchBox() {
  const params = useSearchParams();
  const pathname = usePathname();
  const q = pathname === '/search' ? (params.get('q') ?? '') : '';
  const at = params.get('at');
  return (
    <Form action="/search" className="header-search" role="search">
      <label className="visually-hidden" htmlFor="header-q">Search transactions</label>
      <input key={q} id="header-q" name="q" type="search" defaultValue={q} placeholder="Order, material, lot, id…" autoComplete="off" data-testid="header-search" />
      {at && <input type="hidden" name="at" value={at} />}
    </Form>
  );
}
