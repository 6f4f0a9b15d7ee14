import { SignInForm } from '@/components/SignInForm';

export const dynamic = 'force-dynamic';

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const sso = process.env.PLANTLINE_OIDC_ISSUER ? process.env.PLANTLINE_OIDC_NAME || 'Single sign-on' : null;
  return (
    <div className="signin">
      <h1>Sign in to Plantline</h1>
      <SignInForm callbackUrl={sp.callbackUrl && sp.callbackUrl.startsWith('/') ? sp.callbackUrl : '/'} error={sp.error ?? null} sso={sso} />
    </div>
  );
}
