// Where a signed-in user lands when their role does not include a page.
import Link from 'next/link';
import { PERMISSIONS, type Permission } from '@/lib/auth/policy';

export const metadata = { title: 'Not for your role' };

export default async function DeniedPage({ searchParams }: { searchParams: Promise<{ need?: string }> }) {
  const { need } = await searchParams;
  const roles = need && need in PERMISSIONS ? (PERMISSIONS[need as Permission] as readonly string[]).join(', ') : null;
  return (
    <section className="card" style={{ maxWidth: '40rem' }}>
      <div className="card-head"><h2>This page is not part of your role</h2></div>
      <div className="card-body">
        <p>{roles ? `It needs one of these roles: ${roles}.` : 'Your role does not include it.'} Ask an administrator if you need it.</p>
        <p><Link href="/">Back to the overview</Link></p>
      </div>
    </section>
  );
}
