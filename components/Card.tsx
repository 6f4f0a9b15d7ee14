// The frame every table and chart sits in: a title with its count, the CSV export of exactly those
// rows (/api/v1/…&format=csv with the page's filters), and the empty state when there is nothing.
import Link from 'next/link';
import { fmtInt } from './format';
import type { AnchorHTMLAttributes, HTMLAttributes, ReactNode } from 'react';

export function Card({ title, sub, actions, children, testId, id }: { title: ReactNode; sub?: ReactNode; actions?: ReactNode; children: ReactNode; testId?: string; id?: string }) {
  return (
    <section className="card" data-testid={testId} id={id}>
      <div className="card-head">
        <h2>
          {title}
          {sub !== undefined && <span className="sub">{sub}</span>}
        </h2>
        {actions && <div className="card-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** A link where the viewer may follow it (Access.open gave an href), plain text where not. */
export function MaybeLink({ href, children, ...rest }: { href: string | null; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { 'data-testid'?: string }) {
  if (href === null) return <span {...(rest as HTMLAttributes<HTMLSpanElement>)}>{children}</span>;
  return <Link href={href} {...rest}>{children}</Link>;
}

export function CsvLink({ href, label = 'CSV' }: { href: string; label?: string }) {
  return (
    <a className="csv-link" href={href} download data-testid="csv-link" title="Export these rows as CSV (same filters, same instant)">
      ⤓ {label}
    </a>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

/** "1–100 of 240" with a link to the next page (the API's cursor). */
export function Pager({ offset, shown, total, next, prev }: { offset: number; shown: number; total?: number; next: string | null; prev: string | null }) {
  if (!next && !prev) return null;
  return (
    <div className="pager">
      <span>
        {offset + 1}–{offset + shown}
        {total !== undefined ? ` of ${fmtInt(total)}` : ''}
      </span>
      <span className="card-actions">
        {prev && <Link className="btn" href={prev}>← Previous</Link>}
        {next && <Link className="btn" href={next}>Next →</Link>}
      </span>
    </div>
  );
}

export function FilterProblems({ problems }: { problems: string[] }) {
  return (
    <div className="card error-box" data-testid="filter-problems">
      <h2>These filters cannot be shown</h2>
      <ul>
        {problems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      <p>
        <Link href="/">Back to the overview with the default filters</Link>
      </p>
    </div>
  );
}
