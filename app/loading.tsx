// Shown while a page reads its numbers.
export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading" data-testid="loading">
      <div className="skeleton" style={{ height: '2rem', width: '16rem', marginBottom: '1rem' }} />
      <div className="loading-grid">
        {Array.from({ length: 8 }, (_, i) => (
          <div key={i} className="skeleton" style={{ height: '7.5rem' }} />
        ))}
      </div>
      <div className="skeleton" style={{ height: '18rem', marginTop: '1.5rem' }} />
    </div>
  );
}
