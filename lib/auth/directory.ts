// Changes to identity: users, API tokens, token use, and the audit log. Every change appends a row
// (the tables are versioned); every change is audited.
import { randomUUID } from 'node:crypto';
import { insertRows, type Store } from '../../clickhouse/client';
import { countUsers, findTokenByHash, getUser, tokenHashIssued } from '../../queries/identity';
import { hashPassword, randomSecret, tokenHash, verifyPassword } from './secrets';
import type { Principal, Role } from './policy';

const now = () => new Date().toISOString().replace('T', ' ').replace('Z', '');
const line = (row: object) => JSON.stringify(row) + '\n';

export type AuditEvent = {
  actor: string;
  actor_kind: 'user' | 'token' | 'system' | 'anonymous';
  action: string;
  target?: string;
  plant?: string;
  outcome: 'ok' | 'denied' | 'failed';
  ip?: string;
  details?: Record<string, unknown>;
};

export async function audit(store: Store, e: AuditEvent): Promise<void> {
  const row = { at: now(), actor: e.actor, actor_kind: e.actor_kind, action: e.action, target: e.target ?? '', plant: e.plant ?? '', outcome: e.outcome, ip: e.ip ?? '', details: e.details ? JSON.stringify(e.details) : '' };
  await insertRows(store, 'audit_log', null, line(row), `audit-${randomUUID()}`);
}

export const actorOf = (p: Principal) => ({ actor: p.kind === 'token' ? `token:${p.name}` : p.name, actor_kind: p.kind });

export async function createUser(
  store: Store,
  u: { email: string; name: string; role: Role; plants: string[]; password?: string },
  by: string,
  userId?: string,
): Promise<string> {
  const user_id = userId ?? randomUUID();
  const password_hash = u.password ? await hashPassword(u.password) : '';
  await insertRows(store, 'users', null, line({ user_id, email: u.email, name: u.name, role: u.role, plants: u.plants, password_hash, disabled: false, changed_by: by, changed_at: now() }), `user-${user_id}`);
  return user_id;
}

export type NewToken = { token: string; token_id: string; name: string; role: Role; plants: string[]; created_at: string };

export async function createToken(store: Store, t: { name: string; role: Role; plants: string[] }, by: string, value?: string, tokenId?: string): Promise<NewToken> {
  const token = value ?? randomSecret('pl_');
  const token_id = tokenId ?? randomUUID();
  const created_at = now();
  await insertRows(
    store,
    'api_tokens',
    null,
    line({ token_id, name: t.name, role: t.role, plants: t.plants, token_hash: tokenHash(token), created_by: by, created_at, revoked_at: null, changed_at: created_at }),
    `token-${token_id}-${created_at.replace(/\D/g, '')}`,
  );
  return { token, token_id, name: t.name, role: t.role, plants: t.plants, created_at: `${created_at.replace(' ', 'T')}Z` };
}

/** Revoke: append a version of the token's row with revoked_at set. False when there is no live token with that id. */
export async function revokeToken(store: Store, tokenId: string): Promise<boolean> {
  const before = await store.client.query({
    query: 'SELECT count() AS n FROM (SELECT revoked_at FROM api_tokens WHERE token_id = {id:String} ORDER BY changed_at DESC LIMIT 1) WHERE revoked_at IS NULL',
    query_params: { id: tokenId },
    format: 'JSONEachRow',
  });
  const [{ n }] = await before.json<{ n: string }>();
  if (Number(n) === 0) return false;
  await store.client.command({
    query: `INSERT INTO api_tokens (token_id, name, role, plants, token_hash, created_by, created_at, revoked_at, changed_at)
            SETTINGS insert_deduplication_token = {dedup:String}
            SELECT token_id, name, role, plants, token_hash, created_by, created_at, now64(3), now64(3)
            FROM api_tokens WHERE token_id = {id:String} ORDER BY changed_at DESC LIMIT 1`,
    query_params: { id: tokenId, dedup: `revoke-${tokenId}-${Date.now()}` },
  });
  return true;
}

const lastUse = new Map<string, number>();
/** Record a token's use at most once a minute (the list shows last-used time to the minute). */
export async function recordTokenUse(store: Store, tokenId: string): Promise<void> {
  const t = Date.now();
  if ((lastUse.get(tokenId) ?? 0) > t - 60_000) return;
  lastUse.set(tokenId, t);
  await insertRows(store, 'api_token_uses', null, line({ token_id: tokenId, used_at: now() }), `use-${tokenId}-${t}`);
}

/** The first admin's user id (bootstrapIdentity). */
export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';
/** How long the first admin's creation waits before reading back which version is the admin: longer than an insert takes. */
const BOOTSTRAP_SETTLE_MS = 1_000;

/**
 * First start: with no users, create an admin with a random password and print it once. With
 * PLANTLINE_ADMIN_TOKEN set, make sure an admin API token with that value exists (for automation).
 */
export async function bootstrapIdentity(
  store: Store,
  opts: { adminToken?: string; adminEmail: string; adminPassword?: string },
  log: (m: string) => void = console.log,
): Promise<void> {
  const { adminToken, adminEmail } = opts;
  if ((await countUsers(store)) === 0) {
    const password = opts.adminPassword ?? randomSecret('', 18);
    // one id for the first admin: processes starting together on an empty store write versions of the
    // same user, and after they settle every one reads the same version (the latest) as the admin
    await createUser(store, { email: adminEmail, name: 'admin', role: 'admin', plants: [], password }, 'system', BOOTSTRAP_ADMIN_ID);
    await new Promise((r) => setTimeout(r, BOOTSTRAP_SETTLE_MS));
    const admin = await getUser(store, BOOTSTRAP_ADMIN_ID);
    if (admin && !(await verifyPassword(password, admin.password_hash))) {
      // the other process's version is the admin: written again as the newest, so that a merge of two
      // versions stamped in the same millisecond cannot keep this one instead
      const { user_id, email, name, role, plants, password_hash, disabled } = admin;
      await insertRows(store, 'users', null, line({ user_id, email, name, role, plants, password_hash, disabled, changed_by: 'system', changed_at: now() }), `user-${user_id}-settled-${randomUUID()}`);
      log(`Another Plantline process created the first admin ${adminEmail} at the same moment: its password is the one it printed.`);
    } else {
      await audit(store, { actor: 'system', actor_kind: 'system', action: 'user_created', target: adminEmail, outcome: 'ok', details: { role: 'admin', bootstrap: true } });
      if (opts.adminPassword) log(`Plantline created the first admin ${adminEmail} with the password from PLANTLINE_ADMIN_PASSWORD.`);
      else log(`\nPlantline created the first admin (the password is shown this once; keep it safe):\n  email: ${adminEmail}\n  password: ${password}\n`);
    }
  }
  // once: a bootstrap token an admin has revoked stays revoked across restarts
  if (adminToken && !(await tokenHashIssued(store, tokenHash(adminToken)))) {
    await createToken(store, { name: 'bootstrap-admin', role: 'admin', plants: [] }, 'system', adminToken, 'bootstrap-admin');
    await audit(store, { actor: 'system', actor_kind: 'system', action: 'token_created', target: 'bootstrap-admin', outcome: 'ok', details: { role: 'admin', from: 'PLANTLINE_ADMIN_TOKEN' } });
  } else if (adminToken && !(await findTokenByHash(store, tokenHash(adminToken)))) {
    log('PLANTLINE_ADMIN_TOKEN was revoked and is not issued again: unset it, or set a new value to issue a new admin token.');
  }
}

export { getUser };
