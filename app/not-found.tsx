import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="card error-box" data-testid="not-found">
      <h2>Nothing here</h2>
      <p>No page or transaction matches this address, at least not as of the instant shown. Try the search in the header.</p>
      <Link href="/">Back to the overview</Link>
    </div>
  );
}
