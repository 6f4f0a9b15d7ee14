'use client';
// Admin forms: create an API token (shown once), revoke one, create a user. They call the same
// /api/v1/admin routes as scripts do; the browser sends the session cookie and this site's Origin.
import { useRouter } from 'next/navigation';
import { useState } from 'react';

const ROLES = ['viewer', 'plant_it', 'erp_support', 'finance', 'admin'];

async function send(url: string, method: string, body?: unknown): Promise<{ ok: boolean; data: Record<string, unknown> }> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { ok: res.ok, data };
}

const problems = (data: Record<string, unknown>) => (Array.isArray(data.problems) ? (data.problems as string[]).join('; ') : String(data.error ?? 'failed'));
const plantList = (s: string) => s.split(/[\s,]+/).map((p) => p.trim()).filter(Boolean);

export function CreateTokenForm() {
  const router = useRouter();
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState('');
  async function submit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const { ok, data } = await send('/api/v1/admin/tokens', 'POST', { name: f.get('name'), role: f.get('role'), plants: plantList(String(f.get('plants') ?? '')) });
    if (!ok) return setError(problems(data));
    setError('');
    setShown(String(data.token));
    router.refresh();
  }
  return (
    <form className="admin-form" onSubmit={submit} aria-label="Create API token">
      <label>Name <input name="name" required maxLength={64} placeholder="mes-gateway-p03" /></label>
      <label>Role <select name="role" defaultValue="viewer">{ROLES.map((r) => <option key={r}>{r}</option>)}</select></label>
      <label>Plants <input name="plants" placeholder="all, or P01, P03" /></label>
      <button className="btn btn-primary" type="submit">Create token</button>
      {error && <p role="alert" className="form-error">{error}</p>}
      {shown && (
        <p className="token-once" data-testid="new-token">
          Copy it now, it is not shown again: <code>{shown}</code>
        </p>
      )}
    </form>
  );
}

export function RevokeTokenButton({ tokenId, name }: { tokenId: string; name: string }) {
  const router = useRouter();
  const [error, setError] = useState('');
  return (
    <>
      <button
        className="btn"
        type="button"
        onClick={async () => {
          if (!window.confirm(`Revoke the token "${name}"? Scripts using it stop working.`)) return;
          const { ok, data } = await send(`/api/v1/admin/tokens/${encodeURIComponent(tokenId)}`, 'DELETE');
          if (!ok) setError(problems(data));
          router.refresh();
        }}
      >
        Revoke
      </button>
      {error && <span className="form-error">{error}</span>}
    </>
  );
}

export function CreateUserForm() {
  const router = useRouter();
  const [message, setMessage] = useState('');
  async function submit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const { ok, data } = await send('/api/v1/admin/users', 'POST', {
      email: f.get('email'),
      name: f.get('name'),
      role: f.get('role'),
      plants: plantList(String(f.get('plants') ?? '')),
      password: f.get('password'),
    });
    setMessage(ok ? `Created ${String(data.email)}.` : problems(data));
    if (ok) {
      form.reset();
      router.refresh();
    }
  }
  return (
    <form className="admin-form" onSubmit={submit} aria-label="Create user">
      <label>Email <input name="email" type="email" required /></label>
      <label>Name <input name="name" required /></label>
      <label>Role <select name="role" defaultValue="viewer">{ROLES.map((r) => <option key={r}>{r}</option>)}</select></label>
      <label>Plants <input name="plants" placeholder="all, or P01, P03" /></label>
      <label>Password <input name="password" type="password" minLength={12} required autoComplete="new-password" /></label>
      <button className="btn btn-primary" type="submit">Create user</button>
      {message && <p role="status">{message}</p>}
    </form>
  );
}
