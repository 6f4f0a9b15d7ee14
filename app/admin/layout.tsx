// Every admin page under its tabs (each page checks the admin permission itself).
import type { ReactNode } from 'react';
import { AdminNav } from '@/components/admin/AdminNav';

export default function AdminLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <AdminNav />
      {children}
    </>
  );
}
