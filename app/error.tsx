'use client';
// A page that failed to read its data (the store did not answer, a query timed out): say so in
// plain words, keep the filters, offer to try again.
import { useEffect } from 'react';

export default function PageError({ error, retry, reset }: { error: unknown; retry?: () => void; reset?: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <div className="card error-box" role="alert" data-testid="page-error">
      <h2>This view could not be loaded</h2>
      <p>
        Plantline could not read the numbers for this page. The store may be busy or restarting; trying again usually helps. A narrower time range
        or fewer plants make the query lighter.
      </p>
      {digest && (
        <p className="fb-meta">
          Reference for the server log: <code>{digest}</code>
        </p>
      )}
      <button type="button" className="btn btn-primary" onClick={() => (retry ?? reset)?.()}>
        Try again
      </button>
    </div>
  );
}
