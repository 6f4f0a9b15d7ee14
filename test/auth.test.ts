// Access control as an attacker and as each role would try it: no route is born open, a plant-scoped
// caller sees nothing of another plant through any endpoint, state changes need the right role (and,
// for cookie sessions, a same-site origin), injection strings never leak rows or errors, and every
// sign-in, failure and token change lands in the audit log.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { encode } from 'next-auth/jwt';
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { registerReadStore } from '../clickhouse/shared';
import { audit, bootstrapIdentity, createToken, createUser, revokeToken } from '../lib/auth/directory';
import { findTokenByHash, findUserByEmail, listUsers } from '../queries/identity';
import { tokenHash, verifyPassword } from '../lib/auth/secrets';
import { authOptions } from '../lib/auth/options';
import { PERMISSIONS } from '../lib/auth/policy';
import { openTestStore } from './support/store';
import { AT, loadViewsDataset } from './support/views-dataset';
import { CLIENT_HEADER, clientAddress, markClientAddress } from '../lib/clientAddress';

process.env.NEXTAUTH_SECRET = 'test-secret-for-session-cookies-0123456789';

let store: Store;
const tokens: Record<string, string> = {};

type Handler = (request: Request, ctx?: { params: Promise<Record<string, string>> }) => Promise<Response>;
type RouteModule = Record<string, unknown>;

/** Every route file under app/api/v1, with its URL path and its dynamic segment names. */
function apiRoutes(dir = path.join(process.cwd(), 'app', 'api', 'v1'), prefix = '/api/v1'): { file: string; url: string; params: string[] }[] {
  const out: { file: string; url: string; params: string[] }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...apiRoutes(path.join(dir, entry.name), `${prefix}/${entry.name}`));
    else if (entry.name === 'route.ts') out.push({ file: path.join(dir, entry.name), url: prefix, params: [...prefix.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]) });
  }
  return out;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

async function call(mod: RouteModule, method: string, url: string, params: string[], init: { headers?: Record<string, string>; body?: unknown } = {}) {
  const handler = mod[method] as Handler;
  const concrete = params.reduce((u, p) => u.replace(`[${p}]`, p === 'correlation_id' ? 'T3' : 'x'), url);
  // the seeded day as it stood at AT, unless the call names its own instant (a parameter given twice is refused)
  const withAt = /[?&]at=/.test(concrete) ? concrete : `${concrete}${concrete.includes('?') ? '&' : '?'}at=${AT}`;
  const request = new Request(`http://plantline.test${withAt}`, {
    method,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const ctx = { params: Promise.resolve(Object.fromEntries(params.map((p) => [p, p === 'correlation_id' ? 'T3' : 'x']))) };
  const res = await handler(request, ctx);
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, text };
}

const bearer = (role: string) => ({ authorization: `Bearer ${tokens[role]}` });

before(async () => {
  ({ store } = await openTestStore());
  registerReadStore(store);
  await loadViewsDataset(store, { payloads: true });
  for (const role of ['viewer', 'plant_it', 'erp_support', 'finance', 'admin']) tokens[role] = (await createToken(store, { name: `t-${role}`, role: role as never, plants: [] }, 'test')).token;
  tokens.support_p02 = (await createToken(store, { name: 'support-p02', role: 'erp_support', plants: ['P02'] }, 'test')).token;
  tokens.finance_p02 = (await createToken(store, { name: 'finance-p02', role: 'finance', plants: ['P02'] }, 'test')).token;
  tokens.admin_p02 = (await createToken(store, { name: 'admin-p02', role: 'admin', plants: ['P02'] }, 'test')).token;
});

after(async () => {
  await store.close();
});

test('every route under app/api/v1 answers 401 without a token and with a wrong one', async () => {
  const routes = apiRoutes();
  assert.ok(routes.length >= 14, `found ${routes.length} routes`);
  let checked = 0;
  for (const r of routes) {
    const mod = (await import(r.file)) as RouteModule;
    for (const method of METHODS.filter((m) => typeof mod[m] === 'function')) {
      const none = await call(mod, method, r.url, r.params, { body: method === 'GET' ? undefined : {} });
      assert.equal(none.status, 401, `${method} ${r.url} without a token`);
      const wrong = await call(mod, method, r.url, r.params, { headers: { authorization: 'Bearer pl_not-a-real-token' }, body: method === 'GET' ? undefined : {} });
      assert.equal(wrong.status, 401, `${method} ${r.url} with a wrong token`);
      const garbled = await call(mod, method, r.url, r.params, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' }, body: method === 'GET' ? undefined : {} });
      assert.equal(garbled.status, 401, `${method} ${r.url} with Basic credentials`);
      checked++;
    }
  }
  assert.ok(checked >= 16, `checked ${checked} handlers`);
});

test('a plant-scoped token sees none of another plant, even when it asks for that plant by name', async () => {
  const routes = Object.fromEntries(apiRoutes().map((r) => [r.url, r]));
  const get = async (url: string, token: string, query = '') => {
    const r = routes[url];
    const mod = (await import(r.file)) as RouteModule;
    return call(mod, 'GET', `${url}${query ? `?${query}` : ''}`.replace(/\?$/, ''), r.params, { headers: { authorization: `Bearer ${tokens[token]}` } });
  };
  const lists = ['/api/v1/order-releases/failed', '/api/v1/exceptions', '/api/v1/exceptions/aging', '/api/v1/sla/breaches', '/api/v1/latency', '/api/v1/flows'];
  for (const url of lists) {
    for (const query of ['', 'plant=P01', 'plant=P01,P02']) {
      const res = await get(url, 'support_p02', query);
      assert.equal(res.status, 200, `${url}?${query}`);
      assert.ok(res.body.items.every((i: { plant: string }) => i.plant === 'P02'), `${url}?${query}: only P02 rows`);
      if (query === 'plant=P01') assert.equal(res.body.items.length, 0, `${url}?plant=P01 is empty`);
    }
    // and the same through the export
    const csv = await get(url, 'support_p02', 'plant=P01,P02&format=csv');
    assert.doesNotMatch(csv.text, /P01/, `${url} CSV`);
  }
  const overview = await get('/api/v1/overview', 'support_p02', 'plant=P01');
  assert.equal(overview.body.transactions, 0);
  const all = await get('/api/v1/overview', 'support_p02');
  assert.deepEqual(all.body.by_plant.map((p: { plant: string }) => p.plant), ['P02']);
  // drill-down into a P01 transaction: as if it did not exist
  const t3 = await get('/api/v1/transactions/[correlation_id]', 'support_p02');
  assert.equal(t3.status, 404);
  // search for a P01 material, order and document
  for (const q of ['M-100', '100200', '5000000002', 'T3']) {
    const found = await get('/api/v1/search', 'support_p02', `q=${q}`);
    assert.deepEqual(found.body.items, [], `search ${q}`);
  }
  const variance = await get('/api/v1/inventory/variance', 'finance_p02', 'plant=P01');
  assert.deepEqual(variance.body.items, []);
  const ownVariance = await get('/api/v1/inventory/variance', 'finance_p02');
  assert.deepEqual([...new Set(ownVariance.body.items.map((i: { plant: string }) => i.plant))], ['P02']);
  // even an admin limited to P02 is limited
  const adminScoped = await get('/api/v1/exceptions', 'admin_p02', 'plant=P01');
  assert.deepEqual(adminScoped.body.items, []);
});

test('roles: each read route answers exactly the roles of its permission', async () => {
  const expectations: [string, keyof typeof PERMISSIONS][] = [
    ['/api/v1/overview', 'view:kpi'],
    ['/api/v1/exceptions', 'view:exceptions'],
    // the breach list to the roles the SLA page shows it to, its summary to every role
    ['/api/v1/sla/breaches', 'view:exceptions'],
    ['/api/v1/sla/summary', 'view:kpi'],
    ['/api/v1/flows', 'view:flows'],
    ['/api/v1/inventory/variance', 'view:inventory'],
    ['/api/v1/search', 'view:transactions'],
    ['/api/v1/admin/tokens', 'admin'],
    ['/api/v1/admin/audit', 'admin'],
    ['/api/v1/admin/rejects', 'admin'],
  ];
  const routes = Object.fromEntries(apiRoutes().map((r) => [r.url, r]));
  for (const [url, permission] of expectations) {
    const mod = (await import(routes[url].file)) as RouteModule;
    for (const role of ['viewer', 'plant_it', 'erp_support', 'finance', 'admin']) {
      const res = await call(mod, 'GET', url === '/api/v1/search' ? `${url}?q=4713` : url, [], { headers: bearer(role) });
      const allowed = (PERMISSIONS[permission] as readonly string[]).includes(role);
      assert.equal(res.status, allowed ? 200 : 403, `${role} GET ${url}`);
    }
  }
});

test('payloads in drill-down only for roles that may see them', async () => {
  const routes = Object.fromEntries(apiRoutes().map((r) => [r.url, r]));
  const mod = (await import(routes['/api/v1/transactions/[correlation_id]'].file)) as RouteModule;
  const support = await call(mod, 'GET', '/api/v1/transactions/[correlation_id]', ['correlation_id'], { headers: bearer('erp_support') });
  assert.deepEqual(support.body.events[0].payload, { idoc: 'DOC-e5' });
  const plantIt = await call(mod, 'GET', '/api/v1/transactions/[correlation_id]', ['correlation_id'], { headers: bearer('plant_it') });
  assert.equal(plantIt.body.events[0].payload, null);
});

test('tokens: only an admin creates one; it is shown once, works at once, and stops working when revoked', async () => {
  const routes = Object.fromEntries(apiRoutes().map((r) => [r.url, r]));
  const tokensRoute = (await import(routes['/api/v1/admin/tokens'].file)) as RouteModule;
  for (const role of ['viewer', 'plant_it', 'erp_support', 'finance']) {
    const denied = await call(tokensRoute, 'POST', '/api/v1/admin/tokens', [], { headers: bearer(role), body: { name: 'escalate', role: 'admin' } });
    assert.equal(denied.status, 403, `${role} may not create tokens`);
  }
  const usersRoute = (await import(routes['/api/v1/admin/users'].file)) as RouteModule;
  for (const role of ['viewer', 'plant_it', 'erp_support', 'finance']) {
    const denied = await call(usersRoute, 'POST', '/api/v1/admin/users', [], { headers: bearer(role), body: { email: 'x@plant.example', name: 'X', role: 'admin', password: 'a long enough password' } });
    assert.equal(denied.status, 403, `${role} may not create users`);
  }
  const bad = await call(tokensRoute, 'POST', '/api/v1/admin/tokens', [], { headers: bearer('admin'), body: { name: 'x', role: 'superuser' } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.problems[0], /^role: Invalid option/);
  const created = await call(tokensRoute, 'POST', '/api/v1/admin/tokens', [], { headers: bearer('admin'), body: { name: 'mes-gateway-p02', role: 'plant_it', plants: ['P02'] } });
  assert.equal(created.status, 201);
  assert.match(created.body.token, /^pl_[A-Za-z0-9_-]{40,}$/);
  assert.deepEqual([created.body.role, created.body.plants], ['plant_it', ['P02']]);
  const list = await call(tokensRoute, 'GET', '/api/v1/admin/tokens', [], { headers: bearer('admin') });
  const listed = list.body.items.find((t: { token_id: string }) => t.token_id === created.body.token_id);
  assert.ok(listed);
  assert.equal(JSON.stringify(list.body).includes(created.body.token), false, 'the token value is never listed');
  // stored only as a hash
  const raw = await queryRows<{ n: string }>(store, 'test', sql`SELECT count() AS n FROM api_tokens WHERE position(token_hash, 'pl_') > 0 OR position(name, 'pl_') > 0`);
  assert.equal(Number(raw[0].n), 0);

  const exceptionsRoute = (await import(routes['/api/v1/exceptions'].file)) as RouteModule;
  const auth = { authorization: `Bearer ${created.body.token}` };
  assert.equal((await call(exceptionsRoute, 'GET', '/api/v1/exceptions', [], { headers: auth })).status, 200);
  const revokeRoute = (await import(routes['/api/v1/admin/tokens/[token_id]'].file)) as RouteModule;
  const revokeMod = { DELETE: (req: Request) => (revokeRoute.DELETE as Handler)(req, { params: Promise.resolve({ token_id: created.body.token_id }) }) };
  assert.equal((await call(revokeMod, 'DELETE', `/api/v1/admin/tokens/${created.body.token_id}`, [], { headers: bearer('plant_it') })).status, 403);
  assert.equal((await call(revokeMod, 'DELETE', `/api/v1/admin/tokens/${created.body.token_id}`, [], { headers: bearer('admin') })).status, 200);
  assert.equal((await call(exceptionsRoute, 'GET', '/api/v1/exceptions', [], { headers: auth })).status, 401);
  const again = await call(revokeMod, 'DELETE', `/api/v1/admin/tokens/${created.body.token_id}`, [], { headers: bearer('admin') });
  assert.equal(again.status, 404);
  // audited, by whom
  const audit = await queryRows<{ action: string; actor: string; target: string; outcome: string }>(
    store,
    'test',
    sql`SELECT action, actor, target, outcome FROM audit_log WHERE target = ${param('t', 'String', created.body.token_id)} ORDER BY at, action`,
  );
  assert.deepEqual(audit.map((a) => [a.action, a.actor, a.outcome]), [
    ['token_created', 'token:t-admin', 'ok'],
    ['token_revoked', 'token:t-admin', 'ok'],
    ['token_revoked', 'token:t-admin', 'failed'],
  ]);
});

test('PLANTLINE_ADMIN_TOKEN is issued once: revoked by an admin, a restart does not issue it again', async () => {
  const value = 'bootstrap-admin-token-for-the-revoke-test-0123456789';
  const said: string[] = [];
  const start = () => bootstrapIdentity(store, { adminToken: value, adminEmail: 'ops@plantline.test' }, (m) => said.push(m));
  await start();
  const issued = await findTokenByHash(store, tokenHash(value));
  assert.equal(issued?.role, 'admin');
  await start();
  assert.equal((await queryRows(store, 'test', sql`SELECT token_id FROM api_tokens WHERE name = 'bootstrap-admin' GROUP BY token_id`)).length, 1);
  assert.ok(await revokeToken(store, issued!.token_id));
  await start();
  assert.equal(await findTokenByHash(store, tokenHash(value)), null);
  assert.deepEqual(said.filter((m) => m.startsWith('PLANTLINE_ADMIN_TOKEN')), ['PLANTLINE_ADMIN_TOKEN was revoked and is not issued again: unset it, or set a new value to issue a new admin token.']);
});

test('cookie sessions: reads work; a state change needs a same-site Origin (CSRF)', async () => {
  const userId = await createUser(store, { email: 'ana@plant.example', name: 'Ana', role: 'admin', plants: [], password: 'correct horse battery staple' }, 'test');
  const jwt = await encode({ token: { uid: userId, email: 'ana@plant.example', role: 'admin', plants: [], provider: 'local' }, secret: process.env.NEXTAUTH_SECRET! });
  const cookie = { cookie: `next-auth.session-token=${jwt}` };
  const routes = Object.fromEntries(apiRoutes().map((r) => [r.url, r]));
  const tokensRoute = (await import(routes['/api/v1/admin/tokens'].file)) as RouteModule;
  assert.equal((await call(tokensRoute, 'GET', '/api/v1/admin/tokens', [], { headers: cookie })).status, 200);
  const noOrigin = await call(tokensRoute, 'POST', '/api/v1/admin/tokens', [], { headers: cookie, body: { name: 'csrf', role: 'viewer' } });
  assert.equal(noOrigin.status, 403);
  assert.match(noOrigin.body.error, /CSRF/);
  const foreign = await call(tokensRoute, 'POST', '/api/v1/admin/tokens', [], { headers: { ...cookie, origin: 'https://evil.example', host: 'plantline.test' }, body: { name: 'csrf', role: 'viewer' } });
  assert.equal(foreign.status, 403);
  const sameSite = await call(tokensRoute, 'POST', '/api/v1/admin/tokens', [], { headers: { ...cookie, origin: 'http://plantline.test', host: 'plantline.test' }, body: { name: 'from-the-ui', role: 'viewer' } });
  assert.equal(sameSite.status, 201);
  // a forged session cookie is nobody
  const forged = await encode({ token: { uid: userId, role: 'admin' }, secret: 'another-secret-another-secret-another' });
  assert.equal((await call(tokensRoute, 'GET', '/api/v1/admin/tokens', [], { headers: { cookie: `next-auth.session-token=${forged}` } })).status, 401);
});

test('sign-in: the password is checked with scrypt, failures are audited and rate limited', async () => {
  await createUser(store, { email: 'ben@plant.example', name: 'Ben', role: 'plant_it', plants: ['P01'], password: 'a long enough password' }, 'test');
  const credentials = (authOptions().providers[0] as unknown as { options: { authorize: (c: Record<string, string>, r: unknown) => Promise<unknown> } }).options;
  const req = { headers: { [CLIENT_HEADER]: '203.0.113.7' } };
  const ok = (await credentials.authorize({ email: 'BEN@plant.example', password: 'a long enough password' }, req)) as { role: string; plants: string[] };
  assert.deepEqual([ok.role, ok.plants], ['plant_it', ['P01']]);
  for (let i = 0; i < 5; i++) assert.equal(await credentials.authorize({ email: 'ben@plant.example', password: `guess-${i}` }, req), null);
  // now even the right password is refused from that address for a while
  assert.equal(await credentials.authorize({ email: 'ben@plant.example', password: 'a long enough password' }, req), null);
  const audit = await queryRows<{ action: string; outcome: string; n: string }>(
    store,
    'test',
    sql`SELECT action, outcome, count() AS n FROM audit_log WHERE actor = 'ben@plant.example' GROUP BY action, outcome ORDER BY action, outcome`,
  );
  assert.deepEqual(audit.map((a) => [a.action, a.outcome, Number(a.n)]), [
    ['sign_in', 'ok', 1],
    ['sign_in_failed', 'denied', 1],
    ['sign_in_failed', 'failed', 5],
  ]);
  // nothing secret in the log
  const leaked = await queryRows<{ n: string }>(store, 'test', sql`SELECT count() AS n FROM audit_log WHERE position(details, 'guess-') > 0 OR position(details, 'long enough') > 0`);
  assert.equal(Number(leaked[0].n), 0);
});

test('sign-in: guesses sent side by side are limited like guesses sent one after another', async () => {
  await createUser(store, { email: 'dora@plant.example', name: 'Dora', role: 'viewer', plants: [], password: 'dora has a long password' }, 'test');
  const credentials = (authOptions().providers[0] as unknown as { options: { authorize: (c: Record<string, string>, r: unknown) => Promise<unknown> } }).options;
  const req = { headers: { [CLIENT_HEADER]: '203.0.113.9' } };
  // 40 at once, then the right password: one in progress and 16 waiting are taken (5 guesses checked, 12
  // refused by the limit), the 23 beyond them refused unchecked and unrecorded; then the right one refused
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => credentials.authorize({ email: 'dora@plant.example', password: `guess-${i}` }, req)));
  assert.deepEqual(answers, Array(40).fill(null));
  assert.equal(await credentials.authorize({ email: 'dora@plant.example', password: 'dora has a long password' }, req), null);
  const audit = await queryRows<{ outcome: string; n: string }>(
    store,
    'test',
    sql`SELECT outcome, count() AS n FROM audit_log WHERE actor = 'dora@plant.example' AND action = 'sign_in_failed' GROUP BY outcome ORDER BY outcome`,
  );
  assert.deepEqual(audit.map((a) => [a.outcome, Number(a.n)]), [['denied', 13], ['failed', 5]]);
  // another address is not held up by this one's queue, and is counted on its own
  assert.ok(await credentials.authorize({ email: 'dora@plant.example', password: 'dora has a long password' }, { headers: { [CLIENT_HEADER]: '203.0.113.10' } }));
});

test('injection strings in every filter and in search: 400 or no rows, never an error or another plant', async () => {
  const attacks = ["' OR 1=1 --", "P02') OR ('1'='1", '"; DROP TABLE postings; --', "\\' UNION SELECT * FROM users --", '%00', "{plants:Array(String)}", 'x'.repeat(5000)];
  const routes = Object.fromEntries(apiRoutes().map((r) => [r.url, r]));
  const targets = ['/api/v1/exceptions', '/api/v1/overview', '/api/v1/sla/breaches', '/api/v1/search', '/api/v1/inventory/variance'];
  for (const url of targets) {
    const mod = (await import(routes[url].file)) as RouteModule;
    for (const attack of attacks) {
      const enc = encodeURIComponent(attack);
      for (const query of [`plant=${enc}`, `flow=${enc}`, `from=${enc}`, `cursor=${enc}`, `q=${enc}`, `category=${enc}`, `material=${enc}`]) {
        const token = url === '/api/v1/inventory/variance' ? 'finance_p02' : 'support_p02';
        const res = await call(mod, 'GET', `${url}?${query}${url === '/api/v1/search' && !query.startsWith('q=') ? '&q=4713' : ''}`, [], { headers: { authorization: `Bearer ${tokens[token]}` } });
        assert.ok(res.status === 200 || res.status === 400, `${url}?${query.slice(0, 60)}: ${res.status}`);
        assert.doesNotMatch(res.text, /P01|DB::Exception|Code: \d+/, `${url}?${query.slice(0, 60)}`);
      }
    }
  }
  // and the tables are still there
  const [r] = await queryRows<{ n: string }>(store, 'test', sql`SELECT count() AS n FROM postings`);
  assert.ok(Number(r.n) > 0);
});

test('admin configuration: an SLA override and a unit conversion change the numbers; other roles may not set them', async () => {
  const routes = Object.fromEntries(apiRoutes().map((r) => [r.url, r]));
  const sla = (await import(routes['/api/v1/admin/sla-policies'].file)) as RouteModule;
  const uom = (await import(routes['/api/v1/admin/uom-conversions'].file)) as RouteModule;
  const breaches = (await import(routes['/api/v1/sla/breaches'].file)) as RouteModule;
  const variance = (await import(routes['/api/v1/inventory/variance'].file)) as RouteModule;
  const closed = async () => (await call(breaches, 'GET', '/api/v1/sla/breaches?state=closed', [], { headers: bearer('admin') })).body.items.map((i: { correlation_id: string }) => i.correlation_id);
  // shipment's default is 60 min: T8 (25 min) is no breach
  assert.deepEqual(await closed(), ['T2']);
  assert.equal((await call(sla, 'POST', '/api/v1/admin/sla-policies', [], { headers: bearer('plant_it'), body: { plant: 'P02', flow: 'shipment', threshold_minutes: 20 } })).status, 403);
  const bad = await call(sla, 'POST', '/api/v1/admin/sla-policies', [], { headers: bearer('admin'), body: { plant: 'P02', flow: 'shipment', threshold_minutes: 0 } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.problems[0], /^threshold_minutes: /);
  assert.equal((await call(sla, 'POST', '/api/v1/admin/sla-policies', [], { headers: bearer('admin'), body: { plant: 'P02', flow: 'shipment', threshold_minutes: 20 } })).status, 201);
  // the override is in force from now on: seen from now, T8 (25 min) is a closed breach; so is T9,
  // whose posting arrived at 12:30 (90 min after it occurred)
  const now = await call(breaches, 'GET', `/api/v1/sla/breaches?state=closed&at=${new Date().toISOString()}&from=2026-11-02T00:00:00Z&to=2026-11-04T00:00:00Z`, [], { headers: bearer('admin') });
  assert.deepEqual(now.body.items.map((i: { correlation_id: string; threshold_minutes: number }) => [i.correlation_id, i.threshold_minutes]), [['T2', 15], ['T9', 15], ['T8', 20]]);
  // while the day as it stood at AT keeps the rules of AT
  assert.deepEqual(await closed(), ['T2']);
  const thresholds = await call(sla, 'GET', '/api/v1/admin/sla-policies', [], { headers: bearer('viewer') });
  assert.equal(thresholds.status, 200);

  const m200 = async () => (await call(variance, 'GET', `/api/v1/inventory/variance?material=M-200&at=${new Date().toISOString()}`, [], { headers: bearer('finance') })).body.items[0];
  assert.deepEqual((await m200()).flags, ['no_conversion']);
  assert.equal((await call(uom, 'POST', '/api/v1/admin/uom-conversions', [], { headers: bearer('finance'), body: { material: 'M-200', from_uom: 'G', to_uom: 'KG', factor: 0.001 } })).status, 403);
  assert.equal((await call(uom, 'POST', '/api/v1/admin/uom-conversions', [], { headers: bearer('admin'), body: { material: 'M-200', from_uom: 'G', to_uom: 'KG', factor: 0.001 } })).status, 201);
  const converted = await m200();
  assert.deepEqual([converted.mes_qty, converted.erp_qty, converted.flags], [50.75, 49.5, []]);
  // the conversions in force, as finance reads them (npm start reads this list at its first start too)
  const list = await call(uom, 'GET', '/api/v1/admin/uom-conversions', [], { headers: bearer('finance') });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.items.map((c: { material: string; from_uom: string; to_uom: string; factor: number }) => [c.material, c.from_uom, c.to_uom, c.factor]), [['M-200', 'G', 'KG', 0.001]]);
  assert.match(list.body.items[0].changed_at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
});

test('the client address: the peer\'s unless proxies are trusted; then counted from the right of X-Forwarded-For, so a client cannot pose as another', () => {
  const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;
  // no proxy in front (the default): whatever the client writes is ignored
  assert.equal(clientAddress(req('::ffff:192.0.2.10', '203.0.113.7'), 0), '192.0.2.10');
  // one proxy: the entry it appended (the address it received the request from); a client's own entries are left of it
  assert.equal(clientAddress(req('10.0.0.2', '203.0.113.7, 198.51.100.23'), 1), '198.51.100.23');
  // two proxies: the outer one's entry, second from the right
  assert.equal(clientAddress(req('10.0.0.3', '203.0.113.7, 198.51.100.23, 10.0.0.2'), 2), '198.51.100.23');
  // fewer entries than proxies said: the peer
  assert.equal(clientAddress(req('10.0.0.2'), 1), '10.0.0.2');
  // the header the app reads is replaced, not taken from the request
  const incoming = { socket: { remoteAddress: '192.0.2.10' }, headers: { [CLIENT_HEADER]: '198.51.100.1' } } as unknown as import('node:http').IncomingMessage;
  markClientAddress(incoming, 0);
  assert.equal(incoming.headers[CLIENT_HEADER], '192.0.2.10');
});

test('sign-in limits count the failures every process recorded (the audit log): another process\'s failures block here; another address is not blocked', async () => {
  await createUser(store, { email: 'cleo@plant.example', name: 'Cleo', role: 'plant_it', plants: [], password: 'cleo has a long password' }, 'test');
  const credentials = (authOptions().providers[0] as unknown as { options: { authorize: (c: Record<string, string>, r: unknown) => Promise<unknown> } }).options;
  // five failures for cleo from 203.0.113.50, as another web process records them
  for (let i = 0; i < 5; i++) await audit(store, { actor: 'cleo@plant.example', actor_kind: 'anonymous', action: 'sign_in_failed', outcome: 'failed', ip: '203.0.113.50', details: { reason: 'wrong password' } });
  assert.equal(await credentials.authorize({ email: 'cleo@plant.example', password: 'cleo has a long password' }, { headers: { [CLIENT_HEADER]: '203.0.113.50' } }), null);
  // from another address the account is not locked out
  const ok = (await credentials.authorize({ email: 'cleo@plant.example', password: 'cleo has a long password' }, { headers: { [CLIENT_HEADER]: '203.0.113.51' } })) as { email: string } | null;
  assert.equal(ok?.email, 'cleo@plant.example');
  // 30 failures from one address, whatever the accounts: a new account is refused from there too
  for (let i = 0; i < 30; i++) await audit(store, { actor: `nobody-${i}@plant.example`, actor_kind: 'anonymous', action: 'sign_in_failed', outcome: 'failed', ip: '203.0.113.60', details: { reason: 'unknown user' } });
  assert.equal(await credentials.authorize({ email: 'cleo@plant.example', password: 'cleo has a long password' }, { headers: { [CLIENT_HEADER]: '203.0.113.60' } }), null);
  const denied = await queryRows<{ ip: string; n: string }>(store, 'test', sql`SELECT ip, count() AS n FROM audit_log WHERE actor = 'cleo@plant.example' AND outcome = 'denied' GROUP BY ip ORDER BY ip`);
  assert.deepEqual(denied.map((d) => [d.ip, Number(d.n)]), [['203.0.113.50', 1], ['203.0.113.60', 1]]);
});

test('two processes starting together on an empty store: one prints the first admin\'s password, and that one signs in; the other says so; one admin user', async () => {
  const { store: empty } = await openTestStore();
  try {
    const logs: string[][] = [[], []];
    await Promise.all(logs.map((said) => bootstrapIdentity(empty, { adminEmail: 'first@plantline.test' }, (m) => said.push(m))));
    const printed = logs.flat().map((m) => /password: (\S+)/.exec(m)?.[1]).filter(Boolean) as string[];
    assert.equal(printed.length, 1, logs.flat().join('\n'));
    // the other process either found the admin already there (said nothing) or created one at the same
    // moment and says whose password counts (in this test both found no user, then both wrote)
    const other = logs.find((l) => !l.some((m) => m.includes('password: ')))!;
    assert.deepEqual(other, ['Another Plantline process created the first admin first@plantline.test at the same moment: its password is the one it printed.']);
    const admin = await findUserByEmail(empty, 'first@plantline.test');
    assert.equal(await verifyPassword(printed[0], admin!.password_hash), true);
    assert.deepEqual((await listUsers(empty)).map((u) => [u.email, u.role]), [['first@plantline.test', 'admin']]);
  } finally {
    await empty.close();
  }
});

test('a successful sign-in starts the account\'s count again, whatever the case its email was stored in', async () => {
  await createUser(store, { email: 'Dana@Plant.example', name: 'Dana', role: 'viewer', plants: [], password: 'dana has a long password' }, 'test');
  const credentials = (authOptions().providers[0] as unknown as { options: { authorize: (c: Record<string, string>, r: unknown) => Promise<unknown> } }).options;
  const req = { headers: { [CLIENT_HEADER]: '203.0.113.70' } };
  for (let i = 0; i < 4; i++) assert.equal(await credentials.authorize({ email: 'dana@plant.example', password: `guess-${i}` }, req), null);
  assert.ok(await credentials.authorize({ email: 'dana@plant.example', password: 'dana has a long password' }, req));
  assert.equal(await credentials.authorize({ email: 'dana@plant.example', password: 'one more guess' }, req), null);
  // 5 failures in the window, but only 1 since the last success: not limited
  assert.ok(await credentials.authorize({ email: 'dana@plant.example', password: 'dana has a long password' }, req));
});
