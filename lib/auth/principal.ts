// Who is calling: an API token (Authorization: Bearer …) or a signed-in user (the next-auth session
// cookie, a JWT signed with the app's secret). Both become a Principal with a role and a plant limit.
// Lookups are cached briefly, so a revoked token or a disabled user stops working within 30 s.
import fs from 'node:fs';
import path from 'node:path';
import { decode } from 'next-auth/jwt';
import type { Store } from '../../clickhouse/client';
import { findTokenByHash, getUser } from '../../queries/identity';
import { loadConfig } from '../config';
import { isRole, type Principal } from './policy';
import { randomSecret, tokenHash } from './secrets';
import { recordTokenUse } from './directory';

const CACHE_MS = 30_000;
const tokenCache = new Map<string, { at: number; principal: Principal | null }>();
const userCache = new Map<string, { at: number; principal: Principal | null }>();

/** The secret that signs session JWTs: NEXTAUTH_SECRET, or one generated once and kept in the data directory. */
export function authSecret(): string {
  if (process.env.NEXTAUTH_SECRET) return process.env.NEXTAUTH_SECRET;
  const config = loadConfig();
  const dir = config.store.kind === 'embedded' ? config.store.dataDir : path.resolve(/*turbopackIgnore: true*/ './data');
  const file = path.join(dir, 'auth-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dir, { recursive: true });
  const secret = randomSecret('', 32);
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export const SESSION_COOKIES = ['__Secure-next-auth.session-token', 'next-auth.session-token'];

function cookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

async function principalFromToken(store: Store, token: string): Promise<Principal | null> {
  const hash = tokenHash(token);
  const cached = tokenCache.get(hash);
  if (cached && cached.at > Date.now() - CACHE_MS) return cached.principal;
  const record = await findTokenByHash(store, hash);
  const principal: Principal | null =
    record && isRole(record.role)
      ? { kind: 'token', id: record.token_id, name: record.name, role: record.role, plants: record.plants.length ? record.plants : null }
      : null;
  tokenCache.set(hash, { at: Date.now(), principal });
  if (principal) void recordTokenUse(store, principal.id).catch(() => undefined);
  return principal;
}

async function principalFromSession(store: Store, jwt: string): Promise<Principal | null> {
  let claims: Record<string, unknown> | null = null;
  try {
    claims = (await decode({ token: jwt, secret: authSecret() })) as Record<string, unknown> | null;
  } catch {
    return null;
  }
  if (!claims) return null;
  const uid = String(claims.uid ?? '');
  if (claims.provider === 'oidc') {
    // OIDC users live at the identity provider: role and plants come from its claims at sign-in
    return isRole(claims.role) ? { kind: 'user', id: uid, name: String(claims.name ?? claims.email ?? uid), role: claims.role, plants: Array.isArray(claims.plants) && claims.plants.length ? (claims.plants as string[]) : null } : null;
  }
  const cached = userCache.get(uid);
  if (cached && cached.at > Date.now() - CACHE_MS) return cached.principal;
  const user = uid ? await getUser(store, uid) : null;
  const principal: Principal | null =
    user && !user.disabled && isRole(user.role) ? { kind: 'user', id: user.user_id, name: user.email, role: user.role, plants: user.plants.length ? user.plants : null } : null;
  userCache.set(uid, { at: Date.now(), principal });
  return principal;
}

/** The principal of a request, or null when it carries no valid credentials. */
export async function resolvePrincipal(store: Store, request: Request): Promise<Principal | null> {
  const auth = request.headers.get('authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? principalFromToken(store, m[1]) : null;
  }
  const cookies = request.headers.get('cookie');
  for (const name of SESSION_COOKIES) {
    const jwt = cookie(cookies, name);
    if (jwt) return principalFromSession(store, jwt);
  }
  return null;
}

/** Forget cached lookups (after a revoke or a user change in this process). */
export function forgetPrincipals() {
  tokenCache.clear();
  userCache.clear();
}
