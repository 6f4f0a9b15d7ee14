// next-auth configuration: local users (email + password, scrypt-hashed) and, when configured, any
// OIDC provider. Sessions are JWTs in an httpOnly cookie (secure over https), signed with the app's
// secret; role and plants ride in the token and are re-checked against the user store per request.
import type { NextAuthOptions, User } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { getReadStore } from '../../clickhouse/shared';
import { findUserByEmail } from '../../queries/identity';
import { audit } from './directory';
import { isRole } from './policy';
import { authSecret } from './principal';
import { verifyPassword } from './secrets';
import { oneAttemptAtATime, signInBlocked } from './rate-limit';
import { CLIENT_HEADER } from '../clientAddress';

type PlantlineUser = User & { role: string; plants: string[]; provider: 'local' | 'oidc' };

function claimValues(profile: Record<string, unknown>, claim: string): string[] {
  const v = claim.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), profile);
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  return [];
}

function oidcProvider(): NextAuthOptions['providers'][number] | null {
  const issuer = process.env.PLANTLINE_OIDC_ISSUER;
  if (!issuer) return null;
  const rolesClaim = process.env.PLANTLINE_OIDC_ROLES_CLAIM || 'plantline_roles';
  const plantsClaim = process.env.PLANTLINE_OIDC_PLANTS_CLAIM || 'plantline_plants';
  return {
    id: 'oidc',
    name: process.env.PLANTLINE_OIDC_NAME || 'Single sign-on',
    type: 'oauth',
    wellKnown: `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    clientId: process.env.PLANTLINE_OIDC_CLIENT_ID,
    clientSecret: process.env.PLANTLINE_OIDC_CLIENT_SECRET,
    authorization: { params: { scope: process.env.PLANTLINE_OIDC_SCOPE || 'openid email profile' } },
    idToken: true,
    checks: ['pkce', 'state'],
    // the profile: the ID token's claims completed by the userinfo endpoint's. Providers that follow
    // OpenID Connect Core 5.4 release scope claims (roles, plants) only from userinfo when an access
    // token is issued; reading the ID token alone would refuse every user of such a provider.
    userinfo: {
      async request({ client, tokens }) {
        // next-auth types the token set as plain parameters; at run time it is openid-client's TokenSet
        const set = tokens as import('openid-client').TokenSet;
        const claims = set.claims();
        if (!set.access_token || !client.issuer.metadata.userinfo_endpoint) return claims;
        return { ...claims, ...(await client.userinfo(set)) };
      },
    },
    profile(profile: Record<string, unknown>) {
      // the first claimed role Plantline knows; no known role, no access
      const role = claimValues(profile, rolesClaim).find(isRole) ?? '';
      return { id: String(profile.sub), email: String(profile.email ?? ''), name: String(profile.name ?? profile.email ?? profile.sub), role, plants: claimValues(profile, plantsClaim), provider: 'oidc' } as PlantlineUser;
    },
  };
}

export function authOptions(): NextAuthOptions {
  const oidc = oidcProvider();
  return {
    secret: authSecret(),
    session: { strategy: 'jwt', maxAge: 8 * 3600 },
    // refusals (no Plantline role, a provider error) come back to the sign-in page with the reason
    pages: { signIn: '/signin', error: '/signin' },
    useSecureCookies: (process.env.NEXTAUTH_URL ?? '').startsWith('https://'),
    providers: [
      CredentialsProvider({
        id: 'credentials',
        name: 'Plantline account',
        credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
        async authorize(credentials, req) {
          const email = String(credentials?.email ?? '').trim().toLowerCase();
          const password = String(credentials?.password ?? '');
          const headers = (req?.headers ?? {}) as Record<string, string | undefined>;
          const ip = String(headers[CLIENT_HEADER] ?? '');
          const store = await getReadStore();
          // the limit's check, the password's and the outcome's record, one attempt from an address at a time
          // (a flood beyond the waiting ones is refused unchecked)
          return oneAttemptAtATime(ip, async () => {
            const limited = await signInBlocked(store, ip, email || 'unknown');
            if (limited) {
              await audit(store, { actor: email || 'unknown', actor_kind: 'anonymous', action: 'sign_in_failed', outcome: 'denied', ip, details: { reason: 'rate limited' } });
              return null;
            }
            const user = email ? await findUserByEmail(store, email) : null;
            const ok = !!user && !user.disabled && user.password_hash !== '' && (await verifyPassword(password, user.password_hash));
            if (!ok || !user) {
              await audit(store, { actor: email || 'unknown', actor_kind: 'anonymous', action: 'sign_in_failed', outcome: 'failed', ip, details: { reason: user ? (user.disabled ? 'disabled' : 'wrong password') : 'unknown user' } });
              return null;
            }
            await audit(store, { actor: user.email, actor_kind: 'user', action: 'sign_in', outcome: 'ok', ip });
            return { id: user.user_id, email: user.email, name: user.name, role: user.role, plants: user.plants, provider: 'local' } as PlantlineUser;
          }, () => null);
        },
      }),
      ...(oidc ? [oidc] : []),
    ],
    callbacks: {
      async signIn({ user, account }) {
        const allowed = isRole((user as PlantlineUser).role);
        if (!allowed && account?.provider === 'oidc') {
          const store = await getReadStore();
          await audit(store, { actor: user.email ?? String(user.id), actor_kind: 'anonymous', action: 'sign_in_failed', outcome: 'denied', details: { provider: 'oidc', reason: 'no Plantline role in the claims' } });
        }
        return allowed;
      },
      async jwt({ token, user }) {
        if (user) {
          const u = user as PlantlineUser;
          token.uid = u.id;
          token.role = u.role;
          token.plants = u.plants;
          token.provider = u.provider;
        }
        return token;
      },
      async session({ session, token }) {
        return { ...session, user: { ...session.user, role: token.role, plants: token.plants } } as typeof session;
      },
    },
    events: {
      async signIn({ user, account }) {
        if (account?.provider === 'oidc') {
          const store = await getReadStore();
          await audit(store, { actor: user.email ?? String(user.id), actor_kind: 'user', action: 'sign_in', outcome: 'ok', details: { provider: 'oidc' } });
        }
      },
      async signOut({ token }) {
        const store = await getReadStore();
        await audit(store, { actor: String(token?.email ?? token?.uid ?? 'unknown'), actor_kind: 'user', action: 'sign_out', outcome: 'ok' });
      },
    },
  };
}
