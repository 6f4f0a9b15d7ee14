// The table scaffolding the pages share: the scrolling wrap, a `data` table with one header row of
// columns (a plain label, or a label with its class, e.g. `num`, key and style), one row per item as the
// caller renders it, and an optional footer. With `empty`, no rows shows that instead of the table.
// Server-compatible: no hooks, no client state; `testId` goes on the <table>, as the admin pages have it.
import type { CSSProperties, ReactNode } from 'react';

export type Column = string | { label: ReactNode; className?: string; key?: string; style?: CSSProperties };

/** A right-aligned number column. */
export const num = (label: ReactNode): Column => ({ label, className: 'num' });

export function DataTable<T>({
  columns,
  rows,
  row,
  empty,
  foot,
  className,
  testId,
}: {
  columns: readonly Column[];
  rows: readonly T[];
  /** One <tr>, with its key. */
  row: (r: T, i: number) => ReactNode;
  /** Shown instead of the table when there are no rows; without it an empty table is shown. */
  empty?: ReactNode;
  /** The <tfoot>'s rows. */
  foot?: ReactNode;
  /** Classes added to `data`, e.g. `compact` or `matrix`. */
  className?: string;
  testId?: string;
}) {
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>;
  return (
    <div className="table-wrap">
      <table className={className ? `data ${className}` : 'data'} data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c, i) =>
              typeof c === 'string' ? (
                <th key={`i:${i}`}>{c}</th>
              ) : (
                <th key={c.key !== undefined ? `k:${c.key}` : `i:${i}`} className={c.className} style={c.style}>
                  {c.label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{rows.map((r, i) => row(r, i))}</tbody>
        {foot !== undefined && <tfoot>{foot}</tfoot>}
      </table>
    </div>
  );
}
