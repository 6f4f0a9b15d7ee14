// Home: what Plantline has received so far, and where to send more. The business views arrive with
// their own pages; this page answers "is data arriving?".
import { getReadStore } from '@/clickhouse/shared';
import { getIngestSummary } from '@/queries/getIngestSummary';

export const dynamic = 'force-dynamic';

const card: React.CSSProperties = { background: '#fff', border: '1px solid #dde1e6', borderRadius: 8, padding: '16px 20px', minWidth: 160 };

export default async function Home() {
  const summary = await getIngestSummary(await getReadStore());
  const tiles: [string, number][] = [
    ['Postings', summary.postings],
    ['Transactions', summary.transactions],
    ['Inventory snapshots', summary.snapshots],
    ['Spans', summary.spans],
  ];
  return (
    <main style={{ maxWidth: 1100, margin: '0 auto', padding: 32 }}>
      <h1 style={{ fontSize: 24, margin: '0 0 4px' }}>Plantline</h1>
      <p style={{ color: '#5b6470', marginTop: 0 }}>
        Plant-to-ERP data flows. Last posting reported: {summary.last_posting_at ?? 'none yet'}
      </p>
      <section style={{ display: 'flex', gap: 16, flexWrap: 'wrap' }} aria-label="Received">
        {tiles.map(([label, value]) => (
          <div key={label} style={card} data-testid={`tile-${label}`}>
            <div style={{ fontSize: 13, color: '#5b6470' }}>{label}</div>
            <div style={{ fontSize: 28, fontWeight: 600 }}>{value.toLocaleString('en-US')}</div>
          </div>
        ))}
      </section>
      <h2 style={{ fontSize: 18, marginTop: 32 }}>Rejected messages</h2>
      {summary.rejects.length === 0 ? (
        <p>None: every message received so far matched the contract.</p>
      ) : (
        <table style={{ borderCollapse: 'collapse', background: '#fff' }}>
          <thead>
            <tr>
              {['Stream', 'Rejected', 'Latest reason', 'Latest at (UTC)'].map((h) => (
                <th key={h} style={{ textAlign: 'left', padding: '6px 12px', borderBottom: '1px solid #dde1e6' }}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {summary.rejects.map((r) => (
              <tr key={r.stream}>
                <td style={{ padding: '6px 12px' }}>{r.stream}</td>
                <td style={{ padding: '6px 12px' }}>{r.count.toLocaleString('en-US')}</td>
                <td style={{ padding: '6px 12px' }}>{r.last_reason}</td>
                <td style={{ padding: '6px 12px' }}>{r.last_at}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 style={{ fontSize: 18, marginTop: 32 }}>Send data</h2>
      <ul>
        <li><code>POST /api/ingest/postings</code>, <code>POST /api/ingest/inventory</code>: NDJSON or a JSON array, <code>Authorization: Bearer &lt;ingest token&gt;</code></li>
        <li><code>POST /v1/traces</code>: OTLP/HTTP, protobuf or JSON</li>
        <li>Kafka: <code>plantline.postings.v1</code>, <code>plantline.inventory.v1</code>, <code>otlp_spans</code></li>
        <li><code>GET /api/health</code>: store backend, sources, consumer lag, rejects</li>
      </ul>
    </main>
  );
}
