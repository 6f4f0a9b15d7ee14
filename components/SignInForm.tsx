'use client';
// The sign-in form: local account (email + password) and, when configured, single sign-on.
import { signIn } from 'next-auth/react';
import { useState } from 'react';

export function SignInForm({ callbackUrl, error, sso }: { callbackUrl: string; error: string | null; sso: string | null }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState(
    error === 'AccessDenied'
      ? 'Your account has no Plantline role (or no longer has one): ask an administrator to grant one.'
      : error
        ? 'Sign-in failed: check the email and password.'
        : '',
  );
  async function submit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setMessage('');
    const res = await signIn('credentials', { email: form.get('email'), password: form.get('password'), redirect: false, callbackUrl });
    setBusy(false);
    if (res?.ok && !res.error) window.location.assign(callbackUrl);
    else setMessage('Sign-in failed: check the email and password (after 5 failures, wait 15 minutes).');
  }
  return (
    <form onSubmit={submit} className="signin-form" aria-label="Sign in">
      <label>
        Email
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      {message && (
        <p role="alert" className="signin-error">
          {message}
        </p>
      )}
      {sso && (
        <button type="button" onClick={() => signIn('oidc', { callbackUrl })}>
          Sign in with {sso}
        </button>
      )}
    </form>
  );
}
