// Single sign-on end to end in a real browser: a real OpenID Connect provider (panva's oidc-provider,
// the certified implementation, with its built-in development login and consent pages) on 127.0.0.1,
// the real app (production build, embedded chDB, child process) configured for it through
// PLANTLINE_OIDC_*, and Debian's Chromium. The browser signs in through the provider with PKCE and
// state; role and plants come from the ID token's plantline_roles / plantline_plants claims, and
// every page is limited to those plants. A user whose claims carry no Plantline role is refused.
//
// The app runs at http://localhost:<port> (NEXTAUTH_URL, the host of the redirect URI and of the
// browser) and the provider at http://127.0.0.1:<port>: two sites, as in production, so the
// provider's cookies and the app's never share a host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_TOKEN, AT, SCREENSHOT_DIR, launchChromium, seed, startApp, type TestApp } from './support/browser';
import { freePort } from './support/ports';

const IDP_NAME = 'Plantline Test IdP';
const CLIENT_ID = 'plantline-web';
const CLIENT_SECRET = 'oidc-test-client-secret-0123456789abcdef';

/** The provider's accounts: the login typed on its sign-in page is the account id (sub). */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  'it-p02': { email: 'it.p02@example.test', email_verified: true, name: 'Ida Plant-IT', plantline_roles: ['plant_it'], plantline_plants: ['P02'] },
  visitor: { email: 'visitor@example.test', email_verified: true, name: 'Vic Visitor', plantline_roles: ['visitor'], plantline_plants: ['P01', 'P02'] },
};

// ---------------------------------------------------------------------------------------------
// the OpenID provider

type Idp = { issuer: string; log: string[]; stop(): Promise<void> };
type OidcProviderClass = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => { on(event: string, listener: (ctx: unknown, err: Error) => void): void; callback(): http.RequestListener };

async function startIdp(redirectUri: string): Promise<Idp> {
  // oidc-provider ships no type declarations: the few members used here, typed by hand
  const { default: Provider } = (await import('oidc-provider' as string)) as { default: OidcProviderClass };
  const log: string[] = [];
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  // a signing key for ID tokens (RS256, what openid-client expects by default)
  const signingKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'oidc-test' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        application_type: 'web',
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    // Plantline asks for `openid email profile`: the role and plant claims ride on profile
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'plantline_roles', 'plantline_plants'] },
    // next-auth (idToken: true) reads the profile from the ID token only, never from userinfo: the
    // claims must be in the ID token. With oidc-provider's default (true: scope claims only from
    // userinfo, as OpenID Connect Core 5.4 says) every user would be refused with AccessDenied.
    conformIdTokenClaims: true,
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, sub: string) {
      const claims = ACCOUNTS[sub];
      return claims ? { accountId: sub, claims: async () => ({ sub, ...claims }) } : undefined;
    },
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => log.push(`server_error: ${err.stack}`));
  provider.on('authorization.error', (_ctx: unknown, err: Error) => log.push(`authorization.error: ${err.message}`));
  provider.on('grant.error', (_ctx: unknown, err: Error) => log.push(`grant.error: ${err.message}`));
  provider.on('grant.success', () => log.push('grant.success'));
  handler = provider.callback();
  return {
    issuer,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------

let idp: Idp;
let app: TestApp;
let browser: Browser;
const contexts: BrowserContext[] = [];
const browserErrors: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  // the provider's development pages load a web font from Google: no network here, so refuse it at once
  await context.route(/^https?:\/\/(fonts\.googleapis\.com|fonts\.gstatic\.com)\//, (route) => route.abort());
  context.on('weberror', (e) => browserErrors.push(`pageerror: ${e.error().message}`));
  contexts.push(context);
  return context.newPage();
}

async function shot(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** From Plantline's sign-in page through the provider's login and consent pages, back to Plantline. */
async function signInWithSso(page: Page, login: string, screenshots = false): Promise<void> {
  await page.goto(`${app.baseUrl}/signin?callbackUrl=%2F`, { waitUntil: 'networkidle' });
  const [authorize] = await Promise.all([
    page.waitForRequest((r) => r.url().startsWith(`${idp.issuer}/auth?`), { timeout: 20_000 }),
    page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith('/interaction/'), { timeout: 20_000 }),
    page.getByRole('button', { name: `Sign in with ${IDP_NAME}` }).click(),
  ]);
  // the authorization request: code flow with PKCE (S256) and state, back to the app's own host
  const q = new URL(authorize.url()).searchParams;
  assert.deepEqual(
    { client_id: q.get('client_id'), response_type: q.get('response_type'), scope: q.get('scope'), redirect_uri: q.get('redirect_uri'), code_challenge_method: q.get('code_challenge_method') },
    { client_id: CLIENT_ID, response_type: 'code', scope: 'openid email profile', redirect_uri: `${app.baseUrl}/api/auth/callback/oidc`, code_challenge_method: 'S256' },
  );
  assert.ok(q.get('state') && q.get('code_challenge'), 'state and code_challenge are sent');
  // the provider's login page
  await page.locator('input[name=login]').waitFor();
  if (screenshots) await shot(page, 'oidc-provider-login');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password: the development login accepts any');
  await page.click('button[type=submit]');
  // its consent page: Plantline asks for openid, email and profile
  await page.getByRole('button', { name: 'Continue' }).waitFor({ timeout: 20_000 });
  if (screenshots) await shot(page, 'oidc-provider-consent');
  assert.match(await page.locator('body').innerText(), /profile/);
  await Promise.all([page.waitForURL((u) => u.origin === app.baseUrl, { timeout: 30_000 }), page.getByRole('button', { name: 'Continue' }).click()]);
  await page.waitForLoadState('networkidle');
}

const at = encodeURIComponent(AT);

before(
  async () => {
    const appPort = await freePort();
    idp = await startIdp(`http://localhost:${appPort}/api/auth/callback/oidc`);
    // the browser uses localhost and the provider 127.0.0.1, so the two never share cookies
    app = await startApp({
      port: appPort,
      publicHost: 'localhost',
      env: {
        PLANTLINE_OIDC_ISSUER: idp.issuer,
        PLANTLINE_OIDC_CLIENT_ID: CLIENT_ID,
        PLANTLINE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
        PLANTLINE_OIDC_NAME: IDP_NAME,
      },
    });
    // two plants' day, through the ingest endpoints plants use (node talks to 127.0.0.1: the app
    // listens on IPv4 only, and it does not care about the host)
    await seed(app.apiUrl);
    browser = await launchChromium();
  },
  { timeout: 300_000 },
);

after(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await app?.stop();
  await idp?.stop();
});

let page: Page;

test('a plant IT user signs in through the OpenID provider and gets the role and plant of their claims', { timeout: 120_000 }, async () => {
  page = await newPage();
  await page.goto(`${app.baseUrl}/`, { waitUntil: 'networkidle' });
  assert.match(page.url(), /\/signin\?callbackUrl=/, 'pages ask for a sign-in first');
  await signInWithSso(page, 'it-p02', true);
  assert.equal(new URL(page.url()).pathname, '/', `lands on the overview, not ${page.url()}`);
  // signed in: the session cookie of the app's host, and the user menu with the claimed role and plant
  const cookies = await page.context().cookies(app.baseUrl);
  assert.ok(cookies.some((c) => c.name === 'next-auth.session-token' && c.httpOnly), `no session cookie: ${cookies.map((c) => c.name).join(', ')}`);
  const menu = page.getByTestId('user-menu');
  await menu.waitFor();
  assert.equal((await menu.locator('.user-name').innerText()).trim(), 'Ida Plant-IT');
  assert.equal((await menu.locator('.user-role').innerText()).trim(), 'plant_it · P02');
  assert.equal(await menu.getByRole('link', { name: 'Admin' }).count(), 0, 'plant_it is no admin');
  // next-auth's own view of the session agrees
  const session = (await (await page.request.get(`${app.baseUrl}/api/auth/session`)).json()) as { user?: Record<string, unknown> };
  assert.deepEqual({ email: session.user?.email, role: session.user?.role, plants: session.user?.plants }, { email: 'it.p02@example.test', role: 'plant_it', plants: ['P02'] });
  await page.goto(`${app.baseUrl}/?at=${at}`, { waitUntil: 'networkidle' });
  assert.equal(await page.getByTestId('plant-row-P01').count(), 0, 'the overview shows no P01');
  assert.equal(await page.getByTestId('plant-row-P02').count(), 1, 'the overview shows P02');
  assert.equal((await page.getByTestId('kpi-transactions-value').first().innerText()).trim(), '5', "P02's five transactions only");
  await shot(page, 'oidc-overview-plant-it-P02');
  // the sign-in is in the audit log, marked as single sign-on
  const audit = await fetch(`${app.apiUrl}/api/v1/admin/audit?action=sign_in&actor=${encodeURIComponent('it.p02@example.test')}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(audit.status, 200);
  const items = ((await audit.json()) as { items: Array<Record<string, unknown>> }).items;
  assert.equal(items.length, 1, JSON.stringify(items));
  assert.match(JSON.stringify(items[0]), /oidc/);
});

test('the SSO user sees only P02 and only the pages of plant_it', { timeout: 60_000 }, async () => {
  assert.ok(page, 'signed in by the previous test');
  await page.goto(`${app.baseUrl}/exceptions?at=${at}`, { waitUntil: 'networkidle' });
  await page.getByTestId('exception-list').waitFor();
  assert.deepEqual(await page.locator('[data-testid^=exception-T]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid'))), ['exception-T6', 'exception-T11']);
  assert.equal(await page.locator('[data-testid^=aging-P01-]').count(), 0, 'no P01 aging cell');
  assert.doesNotMatch(await page.locator('.page').innerText(), /\bP01\b/, 'P01 appears nowhere on the page');
  // the plant filter offers the user's plant only, and nothing of P01 reaches the browser at all
  assert.deepEqual(await page.locator('[data-testid^=plant-filter-P]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))), ['plant-filter-P02']);
  assert.doesNotMatch(await page.content(), /P01/, 'the HTML (and its RSC payload) mention P01');
  await shot(page, 'oidc-exceptions-plant-it-P02');
  // a P01 transaction is not there for this user (T3 is P01's failed order release)
  const t3 = await page.request.get(`${app.baseUrl}/api/v1/transactions/T3?at=${at}`);
  assert.notEqual(t3.status(), 200, 'the API hides P01 transactions from a P02 user');
  const api = await page.request.get(`${app.baseUrl}/api/v1/exceptions?at=${at}`);
  assert.equal(api.status(), 200);
  const rows = ((await api.json()) as { items: Array<{ plant: string; correlation_id: string }> }).items;
  assert.deepEqual(rows.map((r) => `${r.plant}/${r.correlation_id}`).sort(), ['P02/T11', 'P02/T6']);
  // inventory reconciliation is for finance and admins
  await page.goto(`${app.baseUrl}/inventory?at=${at}`, { waitUntil: 'networkidle' });
  assert.equal(new URL(page.url()).pathname, '/denied', `inventory should be refused, at ${page.url()}`);
  assert.match(page.url(), /need=view%3Ainventory/);
  assert.match(await page.locator('.page').innerText(), /not part of your role/);
});

test('a user whose claims carry no Plantline role is refused at sign-in', { timeout: 120_000 }, async () => {
  const visitor = await newPage();
  await signInWithSso(visitor, 'visitor');
  // the signIn callback said no: back on Plantline's sign-in page with the reason, and no session
  await visitor.waitForURL((u) => u.pathname === '/signin', { timeout: 20_000 });
  const landed = new URL(visitor.url());
  assert.equal(landed.searchParams.get('error'), 'AccessDenied');
  assert.match(await visitor.locator('.signin-error').innerText(), /no Plantline role/);
  await shot(visitor, 'oidc-refused-visitor');
  const cookies = await visitor.context().cookies(app.baseUrl);
  assert.ok(!cookies.some((c) => c.name.endsWith('next-auth.session-token')), `a refused user has a session cookie: ${cookies.map((c) => c.name).join(', ')}`);
  const session = (await (await visitor.request.get(`${app.baseUrl}/api/auth/session`)).json()) as Record<string, unknown>;
  assert.deepEqual(session, {});
  await visitor.goto(`${app.baseUrl}/exceptions?at=${at}`, { waitUntil: 'networkidle' });
  assert.match(visitor.url(), /\/signin\?callbackUrl=/, 'still asked to sign in');
  assert.equal(await visitor.getByTestId('user-menu').count(), 0);
  const api = await visitor.request.get(`${app.baseUrl}/api/v1/exceptions?at=${at}`);
  assert.equal(api.status(), 401);
  // the refusal is audited
  const audit = await fetch(`${app.apiUrl}/api/v1/admin/audit?action=sign_in_failed`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const refused = ((await audit.json()) as { items: Array<{ outcome: string; details: string }> }).items;
  assert.ok(refused.some((e) => e.outcome === 'denied' && /no Plantline role/.test(e.details)), JSON.stringify(refused));
});

test('no script errors in any page', () => {
  assert.deepEqual(browserErrors, []);
  assert.ok(idp.log.every((l) => !l.startsWith('server_error')), idp.log.join('\n'));
});
