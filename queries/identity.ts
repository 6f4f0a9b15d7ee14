// Identity lookups: users by email or id, API tokens by hash, the token list and the audit log.
// Latest version per id wins (the tables are versioned, append-only).
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { chTime, isoFromCh, pageLimitSql, pageOf, type Filters } from './filters';

export type UserRecord = { user_id: string; email: string; name: string; role: string; plants: string[]; password_hash: string; disabled: boolean };
export type TokenRecord = { token_id: string; name: string; role: string; plants: string[]; created_by: string; created_at: string; revoked_at: string | null; last_used_at: string | null };

const USER_COLUMNS = sql`user_id, email, name, role, plants, password_hash, disabled`;

export async function findUserByEmail(store: Store, email: string): Promise<UserRecord | null> {
  const rows = await queryRows<UserRecord>(
    store,
    'identity.findUserByEmail',
    sql`SELECT ${USER_COLUMNS} FROM (SELECT * FROM users ORDER BY changed_at DESC, password_hash DESC LIMIT 1 BY user_id) WHERE lower(email) = lower(${param('email', 'String', email)}) ORDER BY user_id LIMIT 1`,
  );
  return rows[0] ? { ...rows[0], disabled: Boolean(rows[0].disabled) } : null;
}

export async function getUser(store: Store, userId: string): Promise<UserRecord | null> {
  const rows = await queryRows<UserRecord>(
    store,
    'identity.getUser',
    sql`SELECT ${USER_COLUMNS} FROM users WHERE user_id = ${param('user_id', 'String', userId)} ORDER BY changed_at DESC, password_hash DESC LIMIT 1`,
  );
  return rows[0] ? { ...rows[0], disabled: Boolean(rows[0].disabled) } : null;
}

export async function countUsers(store: Store): Promise<number> {
  const [r] = await queryRows<{ n: string }>(store, 'identity.countUsers', sql`SELECT uniqExact(user_id) AS n FROM users`);
  return Number(r.n);
}

export async function listUsers(store: Store): Promise<Omit<UserRecord, 'password_hash'>[]> {
  const rows = await queryRows<UserRecord>(store, 'identity.listUsers', sql`SELECT ${USER_COLUMNS} FROM users ORDER BY changed_at DESC, password_hash DESC LIMIT 1 BY user_id`);
  return rows.map(({ password_hash: _h, ...u }) => ({ ...u, disabled: Boolean(u.disabled) })).sort((a, b) => a.email.localeCompare(b.email));
}

type TokenRow = Omit<TokenRecord, 'last_used_at'> & { last_used_at: string | null };

const TOKEN_SELECT = sql`
SELECT t.token_id AS token_id, t.name AS name, t.role AS role, t.plants AS plants, t.created_by AS created_by, t.created_at AS created_at,
       t.revoked_at AS revoked_at, if(u.token_id = '', NULL, u.last_used) AS last_used_at
FROM (SELECT * FROM api_tokens ORDER BY changed_at DESC LIMIT 1 BY token_id) AS t
LEFT JOIN (SELECT token_id, max(used_at) AS last_used FROM api_token_uses GROUP BY token_id) AS u ON u.token_id = t.token_id`;

const tokenOut = (r: TokenRow): TokenRecord => ({ ...r, created_at: isoFromCh(r.created_at)!, revoked_at: isoFromCh(r.revoked_at), last_used_at: isoFromCh(r.last_used_at) });

/** The live (not revoked) token with this hash, if any. */
export async function findTokenByHash(store: Store, hash: string): Promise<TokenRecord | null> {
  const rows = await queryRows<TokenRow>(
    store,
    'identity.findTokenByHash',
    sql`SELECT * FROM (${TOKEN_SELECT}) WHERE token_id IN (SELECT token_id FROM api_tokens WHERE token_hash = ${param('hash', 'String', hash)}) AND revoked_at IS NULL LIMIT 1`,
  );
  return rows[0] ? tokenOut(rows[0]) : null;
}

/** Whether a token with this hash was ever issued, live or revoked. */
export async function tokenHashIssued(store: Store, hash: string): Promise<boolean> {
  const [r] = await queryRows<{ n: string }>(store, 'identity.tokenHashIssued', sql`SELECT count() AS n FROM api_tokens WHERE token_hash = ${param('hash', 'String', hash)}`);
  return Number(r.n) > 0;
}

export async function listTokens(store: Store): Promise<TokenRecord[]> {
  const rows = await queryRows<TokenRow>(store, 'identity.listTokens', sql`SELECT * FROM (${TOKEN_SELECT}) ORDER BY created_at DESC`);
  return rows.map(tokenOut);
}

export type AuditEntry = { at: string; actor: string; actor_kind: string; action: string; target: string; plant: string; outcome: string; ip: string; details: string };

/** One page of the audit log, newest first, and the next page's cursor (null after the last). */
export async function listAudit(store: Store, f: Pick<Filters, 'from' | 'to' | 'limit' | 'offset' | 'at'>, opts: { actor?: string; action?: string }): Promise<{ items: AuditEntry[]; next_cursor: string | null }> {
  const conditions = [
    sql`at >= ${param('from', "DateTime64(3, 'UTC')", chTime(f.from))}`,
    sql`at < ${param('to', "DateTime64(3, 'UTC')", chTime(f.to))}`,
  ];
  if (opts.actor) conditions.push(sql`actor = ${param('actor', 'String', opts.actor)}`);
  if (opts.action) conditions.push(sql`action = ${param('action', 'String', opts.action)}`);
  const where = conditions.reduce((a, c) => sql`${a} AND ${c}`);
  const rows = await queryRows<AuditEntry>(
    store,
    'identity.listAudit',
    sql`SELECT at, actor, actor_kind, action, target, plant, outcome, ip, details FROM audit_log WHERE ${where}
        ORDER BY at DESC, actor, action, target, details, plant, outcome, ip, actor_kind ${pageLimitSql(f)}`,
  );
  return pageOf(f, rows.map((r) => ({ ...r, at: isoFromCh(r.at)! })));
}

/**
 * Failed sign-ins since `since` from the audit log (every web process writes there): from this address
 * for this account (whatever the case of its email) after its last successful sign-in from the address,
 * and from this address for any account. Attempts refused by the limit itself (outcome denied) are not
 * counted.
 */
export async function recentSignInFailures(store: Store, ip: string, account: string, since: Date): Promise<{ account: number; address: number }> {
  const sinceP = param('since', "DateTime64(3, 'UTC')", since.toISOString().replace('T', ' ').replace('Z', ''));
  const ipP = param('ip', 'String', ip);
  const accountP = param('account', 'String', account);
  const [r] = await queryRows<{ account: string; address: string }>(
    store,
    'identity.recentSignInFailures',
    sql`SELECT countIf(lower(actor) = lower(${accountP}) AND at > coalesce((
              SELECT max(at) FROM audit_log WHERE at >= ${sinceP} AND action = 'sign_in' AND lower(actor) = lower(${accountP}) AND ip = ${ipP}), ${sinceP})) AS account,
            count() AS address
        FROM audit_log
        WHERE at >= ${sinceP} AND ip = ${ipP} AND action = 'sign_in_failed' AND outcome = 'failed'`,
  );
  return { account: Number(r.account), address: Number(r.address) };
}
