import type { Metadata } from 'next';
import type { ReactNode } from 'react';

export const metadata: Metadata = {
  title: 'Plantline',
  description: 'Plant-to-ERP data flows: failed postings, inventory variance, SLA breaches, per-plant latency.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: 0, background: '#f6f7f9', color: '#1b1f24' }}>{children}</body>
    </html>
  );
}
