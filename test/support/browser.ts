// The real app for browser tests: the production build (`next build`, only when its sources changed)
// served by scripts/server.ts's startServer in a CHILD process (chDB allows one data folder per
// process) on a temporary data folder and a free port, seeded through the same HTTP ingest endpoints
// plants use, with the hand-built day of test/support/views-dataset.ts; and Debian's Chromium driven
// by playwright-core (scripts/install-browser.sh installs it).
//
// The same file is the child's entry point: `node --import tsx test/support/browser.ts --serve-for-browser-tests`.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AT, DUPLICATE_DELIVERIES, POSTINGS, SNAPSHOTS, SLA_POLICIES, UOM_CONVERSIONS, ACTIONS } from './views-dataset';
import { freePort } from './ports';

export { AT };

const ROOT = path.resolve(__dirname, '..', '..');
const SERVE_FLAG = '--serve-for-browser-tests';
const READY = 'PLANTLINE_BROWSER_TEST_SERVER_READY';
export const INGEST_TOKEN = 'browser-test-ingest-token';
/** Bootstrap admin API token of the test app (PLANTLINE_ADMIN_TOKEN), for API calls from the test. */
export const ADMIN_TOKEN = 'pl_browser-test-admin-token';
/** The account the browser signs in with: an admin, so every page and payload is visible. */
export const TEST_USER = { email: 'browser-test@plantline.local', password: 'browser-test-password-1', name: 'Browser test', role: 'admin' as const };
export const CHROMIUM = '/usr/bin/chromium';

// ---------------------------------------------------------------------------------------------
// build

/** Sources that end up in the Next.js build: a build older than any of them is rebuilt. */
const BUILD_SOURCES = ['app', 'components', 'queries', 'lib', 'clickhouse', 'next.config.ts', 'tsconfig.json'];

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** `next build` unless .next/BUILD_ID is newer than every source of the app. Returns whether it built. */
export function ensureBuild(log: (m: string) => void = () => undefined): boolean {
  const buildId = path.join(ROOT, '.next', 'BUILD_ID');
  const newest = Math.max(...BUILD_SOURCES.map((s) => newestMtime(path.join(ROOT, s))));
  if (fs.existsSync(buildId) && fs.statSync(buildId).mtimeMs > newest) return false;
  log('next build (the app changed since the last build)…');
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const out = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`next build failed:\n${String(out.stdout ?? '').slice(-4000)}\n${String(out.stderr ?? '').slice(-4000)}`);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// the app in a child process

export type TestApp = { baseUrl: string; apiUrl: string; dataDir: string; log(): string; stop(): Promise<void> };

/**
 * Build if needed, start the app in a child process on a fresh data folder, wait until it answers.
 * `publicHost` is the host the browser uses (and NEXTAUTH_URL names); `apiUrl` is always 127.0.0.1.
 * `env` adds or overrides settings (e.g. an OIDC provider).
 */
export async function startApp(opts: { timeoutMs?: number; port?: number; publicHost?: string; env?: Record<string, string> } = {}): Promise<TestApp> {
  ensureBuild();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-browser-'));
  const port = opts.port ?? (await freePort());
  const host = opts.publicHost ?? '127.0.0.1';
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', __filename, SERVE_FLAG], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(port),
      PLANTLINE_DATA_DIR: dataDir,
      PLANTLINE_SIMULATOR: 'off',
      PLANTLINE_INGEST_TOKEN: INGEST_TOKEN,
      PLANTLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      NEXTAUTH_URL: `http://${host}:${port}`,
      NEXTAUTH_SECRET: 'browser-test-nextauth-secret-0123456789',
      PLANTLINE_FLUSH_MS: '50',
      KAFKA_BROKERS: '',
      CLICKHOUSE_URL: '',
      ...opts.env,
    },
  });
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (!output.includes(READY)) {
    const done = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 100))]);
    if (done) throw new Error(`the app exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app was not ready within ${opts.timeoutMs ?? 60_000} ms:\n${output}`);
    }
  }
  return {
    baseUrl: `http://${host}:${port}`,
    apiUrl: `http://127.0.0.1:${port}`,
    dataDir,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** In the child: the embedded server, the reference rows that have no ingest endpoint, the test user. */
async function serveForBrowserTests() {
  const { startServer } = await import('../../scripts/server');
  const { insertRows } = await import('../../clickhouse/client');
  const { createUser } = await import('../../lib/auth/directory');
  const { runtime } = await startServer();
  await createUser(runtime.writeStore, { email: TEST_USER.email, name: TEST_USER.name, role: TEST_USER.role, plants: [], password: TEST_USER.password }, 'browser-test');
  // SLA overrides, unit conversions and exception actions are maintained in Plantline itself, not
  // sent by plants: written straight into the store, as views.test.ts does
  const lines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await insertRows(runtime.writeStore, 'sla_policies', null, lines(SLA_POLICIES), 'browser-sla');
  await insertRows(runtime.writeStore, 'uom_conversions', null, lines(UOM_CONVERSIONS), 'browser-uom');
  await insertRows(runtime.writeStore, 'exception_actions', null, lines(ACTIONS), 'browser-actions');
  console.log(READY);
}

if (process.argv.includes(SERVE_FLAG)) {
  serveForBrowserTests().catch((e) => {
    console.error(`browser test server failed: ${(e as Error).stack}`);
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------------
// seeding, through the endpoints plants use

const ndjson = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function post(url: string, body: string, type: string): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': type, authorization: `Bearer ${INGEST_TOKEN}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${url}: ${res.status} ${text}`);
  const answer = JSON.parse(text) as { rejected?: unknown[] };
  if (answer.rejected && answer.rejected.length) throw new Error(`POST ${url}: rejected ${JSON.stringify(answer.rejected)}`);
  return answer;
}

const ms = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });

type SpanSpec = { id: string; parent?: string; service: string; name: string; kind: number; start: string; end: string; error?: string; attrs?: Record<string, string> };

/** OTLP/JSON for one trace: spans grouped by service (one resource per service). */
function otlpTrace(traceId: string, correlationId: string, business: Record<string, string>, spans: SpanSpec[]) {
  const services = [...new Set(spans.map((s) => s.service))];
  return {
    resourceSpans: services.map((service) => ({
      resource: { attributes: [attr('service.name', service)] },
      scopeSpans: [
        {
          scope: { name: 'plantline-browser-test' },
          spans: spans
            .filter((s) => s.service === service)
            .map((s) => ({
              traceId,
              spanId: s.id,
              parentSpanId: s.parent ?? '',
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: String(ms(s.start)),
              endTimeUnixNano: String(ms(s.end)),
              attributes: [attr('mfg.correlation_id', correlationId), ...Object.entries({ ...business, ...s.attrs }).map(([k, v]) => attr(k, v))],
              status: s.error ? { code: 2, message: s.error } : { code: 1 },
            })),
        },
      ],
    })),
  };
}

const INTERNAL = 1, SERVER = 2, CLIENT = 3, PRODUCER = 4, CONSUMER = 5;

/** T3, the failed order release: ERP released order 100200, the middleware routed it, MES P01 refused it. */
export const T3_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const T3_TRACE = otlpTrace(T3_TRACE_ID, 'T3', { 'mfg.plant': 'P01', 'mfg.flow': 'order_release', 'mfg.order_no': '100200', 'mfg.material': 'M-9' }, [
  { id: '00f067aa0ba902b7', service: 'erp', name: 'release production order', kind: PRODUCER, start: '2026-11-03T08:00:00.000Z', end: '2026-11-03T08:00:00.420Z' },
  { id: '1a2b3c4d5e6f7081', parent: '00f067aa0ba902b7', service: 'middleware', name: 'route order_release', kind: CONSUMER, start: '2026-11-03T08:00:00.600Z', end: '2026-11-03T08:00:30.050Z', error: 'MES refused the order' },
  { id: '1a2b3c4d5e6f7082', parent: '1a2b3c4d5e6f7081', service: 'middleware', name: 'map LOIPRO to MES order', kind: INTERNAL, start: '2026-11-03T08:00:00.650Z', end: '2026-11-03T08:00:01.900Z' },
  { id: '1a2b3c4d5e6f7083', parent: '1a2b3c4d5e6f7081', service: 'middleware', name: 'POST /mes/orders', kind: CLIENT, start: '2026-11-03T08:00:02.000Z', end: '2026-11-03T08:00:29.950Z', error: 'HTTP 422' },
  { id: '2b3c4d5e6f708192', parent: '1a2b3c4d5e6f7083', service: 'mes-p01', name: 'create order', kind: SERVER, start: '2026-11-03T08:00:02.300Z', end: '2026-11-03T08:00:29.800Z', error: 'Material M-9 is not in the MES master' },
  { id: '2b3c4d5e6f708193', parent: '2b3c4d5e6f708192', service: 'mes-p01', name: 'look up material M-9', kind: INTERNAL, start: '2026-11-03T08:00:02.400Z', end: '2026-11-03T08:00:29.600Z', error: 'not found' },
]);

/** T2, a goods receipt: attempt 1 failed (period closed), attempt 2 posted; one trace each. */
const T2_TRACES = [
  otlpTrace('5cf92f3577b34da6a3ce929d0e0e4801', 'T2', { 'mfg.plant': 'P01', 'mfg.flow': 'goods_receipt', 'mfg.order_no': '4712' }, [
    { id: '3a00000000000001', service: 'mes-p01', name: 'confirm goods receipt', kind: PRODUCER, start: '2026-11-03T09:00:00.000Z', end: '2026-11-03T09:00:00.200Z' },
    { id: '3a00000000000002', parent: '3a00000000000001', service: 'middleware', name: 'route goods_receipt', kind: CONSUMER, start: '2026-11-03T09:00:00.300Z', end: '2026-11-03T09:00:59.000Z', error: 'ERP rejected the posting' },
    { id: '3a00000000000003', parent: '3a00000000000002', service: 'erp', name: 'BAPI_GOODSMVT_CREATE', kind: SERVER, start: '2026-11-03T09:00:01.000Z', end: '2026-11-03T09:00:58.500Z', error: 'M7-021 Posting period 2026-10 is closed' },
  ]),
  otlpTrace('5cf92f3577b34da6a3ce929d0e0e4802', 'T2', { 'mfg.plant': 'P01', 'mfg.flow': 'goods_receipt', 'mfg.order_no': '4712' }, [
    { id: '3b00000000000001', service: 'middleware', name: 'replay goods_receipt', kind: PRODUCER, start: '2026-11-03T09:39:50.000Z', end: '2026-11-03T09:39:50.100Z' },
    { id: '3b00000000000002', parent: '3b00000000000001', service: 'erp', name: 'BAPI_GOODSMVT_CREATE', kind: SERVER, start: '2026-11-03T09:39:51.000Z', end: '2026-11-03T09:39:59.000Z' },
  ]),
];

/**
 * T13: a goods receipt from October with its business payload on every attempt (failed, then replayed
 * and posted). It occurred weeks before the seeded day and moves no stock, so no figure of the day
 * changes; it is there for the payload view of the transaction page.
 */
const payload = { header: { plant: 'P01', movement_type: '101', posting_date: '2026-10-20' }, items: [{ material: 'M-700', quantity: 40, uom: 'EA', storage_location: '0001', order: '4799' }] };
const T13 = [
  { event_id: 'e30', status: 'failed', attempt: 1, reported_at: '2026-10-20T06:00:20Z', error: { code: 'M7-053', category: 'authorization', message: 'User RFC_MES lacks authorization for movement type 101', recoverable: true } },
  { event_id: 'e31', status: 'posted', attempt: 2, replay_of: 'e30', reported_at: '2026-10-20T07:15:00Z', document_no: '5000000713' },
].map((e) => ({
  correlation_id: 'T13', plant: 'P01', flow: 'goods_receipt', source_system: 'MES', target_system: 'ERP', occurred_at: '2026-10-20T06:00:00Z',
  order_no: '4799', material: 'M-700', quantity: 40, uom: 'EA', payload, ...e,
}));

/** Send the views dataset through HTTP ingest and wait until the app shows all of it as of AT. */
export async function seed(baseUrl: string): Promise<void> {
  await post(`${baseUrl}/api/ingest/postings`, ndjson(POSTINGS), 'application/x-ndjson');
  await post(`${baseUrl}/api/ingest/postings`, ndjson(DUPLICATE_DELIVERIES), 'application/x-ndjson');
  await post(`${baseUrl}/api/ingest/postings`, ndjson(T13), 'application/x-ndjson');
  await post(`${baseUrl}/api/ingest/inventory`, ndjson(SNAPSHOTS), 'application/x-ndjson');
  for (const trace of [T3_TRACE, ...T2_TRACES]) await post(`${baseUrl}/v1/traces`, JSON.stringify(trace), 'application/json');

  const deadline = Date.now() + 30_000;
  for (;;) {
    const [overview, variance, t3, t2] = await Promise.all(
      ['/api/v1/overview', '/api/v1/inventory/variance', '/api/v1/transactions/T3', '/api/v1/transactions/T2'].map((p) =>
        fetch(`${baseUrl}${p}?at=${AT}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => (r.ok ? r.json() : null)),
      ),
    );
    const ready = overview?.transactions === 11 && variance?.items?.length === 5 && t3?.spans?.length === 6 && t2?.spans?.length === 5;
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`the seeded day did not show up: overview ${JSON.stringify(overview)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---------------------------------------------------------------------------------------------
// the browser

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-browser.sh (installs Debian's chromium)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Sign in through the sign-in page, as a person would. */
export async function signIn(page: import('playwright-core').Page, baseUrl: string, user: { email: string; password: string } = TEST_USER): Promise<void> {
  await page.goto(`${baseUrl}/signin?callbackUrl=%2F`);
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 20_000 }), page.click('button[type=submit]')]);
}

export const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'screenshots');
export const DOCS_SCREENSHOT_DIR = path.join(ROOT, 'docs', 'screenshots');
