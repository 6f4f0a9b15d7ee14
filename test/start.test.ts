// `npm start` as a newcomer runs it, on an empty data folder: the package.json script itself (run by npm),
// with its defaults (embedded store, the built-in simulator on). It must come up, say where to open it,
// seed the simulated group's material master (read back through the admin API) and answer health; and
// stop cleanly on SIGTERM. The web app's build is reused when its sources have not changed.
//   node --import tsx --test test/start.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ERROR_TEXT_WITHHELD } from '../ingest/http';
import { SECURITY_HEADERS } from '../lib/securityHeaders';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { worldUomConversions } from '../simulator';
import { startClickHouseServer, type ClickHouseServer } from './support/clickhouse-server';
import { posting } from './support/fixtures';
import { freePort } from './support/ports';

/** `npm start` in its own process group on an empty data folder and a free port, until it says it is up. */
async function npmStart(env: Record<string, string>): Promise<{ port: number; output: () => string; stop: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-start-'));
  const port = await freePort();
  // detached: npm runs the script in a shell; the whole group is signalled
  const child = spawn('npm', ['start'], {
    cwd: process.cwd(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PLANTLINE_DATA_DIR: dataDir, PORT: String(port), ...env },
  });
  let output = '';
  child.stdout!.on('data', (b) => (output += b));
  child.stderr!.on('data', (b) => (output += b));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const stop = async () => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 30_000);
    await exited;
    // npm may exit before the node process it started: wait for the whole group to be gone
    for (let i = 0; i < 300; i++) {
      try {
        process.kill(-child.pid!, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    clearTimeout(timer);
    fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  };
  let check: NodeJS.Timeout | undefined;
  const up = await Promise.race([
    new Promise<boolean>((resolve) => {
      check = setInterval(() => output.includes('Plantline is up') && resolve(true), 100);
    }),
    exited.then(() => false),
  ]).finally(() => clearInterval(check));
  if (!up) {
    await stop();
    assert.fail(`npm start did not come up:\n${output.slice(-3000)}`);
  }
  return { port, output: () => output, stop };
}

/** `npm run ingest` (its script's node command) with `env`, until it listens: its base URL and output. */
async function npmRunIngest(env: Record<string, string>): Promise<{ base: string; output: () => string; running: () => boolean; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', 'ingest/main.ts'], { cwd: process.cwd(), env: { ...process.env, PORT: '0', KAFKA_BROKERS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  let m: RegExpMatchArray | null = null;
  const deadline = Date.now() + 60_000;
  while (!(m = out.match(/plantline ingest: listening on :(\d+), opening the store/))) {
    if (child.exitCode !== null) assert.fail(`npm run ingest ended:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      assert.fail(`npm run ingest did not listen within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base: `http://127.0.0.1:${m[1]}`, output: () => out, running: () => child.exitCode === null, stop };
}

test('npm start on an empty folder: up with the simulator, its material master seeded, healthy, and stops on SIGTERM', { timeout: 600_000 }, async () => {
  const adminToken = 'start-test-admin-token-0123456789abcdef';
  const app = await npmStart({ PLANTLINE_ADMIN_TOKEN: adminToken, PLANTLINE_INGEST_TOKEN: 'start-test-ingest' });
  try {
    assert.match(app.output(), new RegExp(`open http://localhost:${app.port}`));
    const health = await fetch(`http://127.0.0.1:${app.port}/api/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).backend, 'chdb');

    const uom = await fetch(`http://127.0.0.1:${app.port}/api/v1/admin/uom-conversions`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(uom.status, 200);
    const key = (c: { material: string; from_uom: string; to_uom: string; factor: number }) => `${c.material} ${c.from_uom}→${c.to_uom} ×${c.factor}`;
    assert.deepEqual(((await uom.json()).items as Parameters<typeof key>[0][]).map(key).sort(), worldUomConversions().map(key).sort());
  } finally {
    await app.stop();
  }
});

test('PLANTLINE_INGEST=off: a web-only process serves pages, the API and health, and refuses ingest saying where to send it', { timeout: 600_000 }, async () => {
  const adminToken = 'start-test-admin-token-web-only-0123456789';
  const app = await npmStart({ PLANTLINE_ADMIN_TOKEN: adminToken, PLANTLINE_INGEST_TOKEN: 'web-only-ingest', PLANTLINE_INGEST: 'off' });
  const base = `http://127.0.0.1:${app.port}`;
  try {
    assert.match(app.output(), /Plantline is up: open http:\/\/localhost:\d+ +\(embedded chDB in .*; Kafka off; web only: PLANTLINE_INGEST=off\)/);
    const posted = await fetch(`${base}/api/ingest/postings`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer web-only-ingest' } });
    assert.equal(posted.status, 404);
    assert.deepEqual(await posted.json(), { error: 'this process serves the web app only (PLANTLINE_INGEST=off): send /api/ingest/postings to a process that ingests (npm run ingest)' });
    const health = await fetch(`${base}/api/health`);
    assert.equal(health.status, 200);
    const h = (await health.json()) as { ingest: { sources: { http: { state: string } } }; rollups: { cycles: number } };
    assert.equal(h.ingest.sources.http.state, 'off');
    // no simulator on a process that does not ingest: nothing was posted
    const overview = await fetch(`${base}/api/v1/overview`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(overview.status, 200);
    assert.equal(((await overview.json()) as { transactions: number }).transactions, 0);
    // every answer, Next's pages and API and those answered before Next, carries the security headers
    for (const res of [await fetch(`${base}/signin`), overview, health, posted]) {
      const headers = Object.fromEntries(Object.keys(SECURITY_HEADERS).map((k) => [k, res.headers.get(k)]));
      assert.deepEqual(headers, {
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'same-origin',
      }, res.url);
    }
    assert.equal((await fetch(`${base}/signin`)).status, 200);
    // the audit log records the address the request came from, not one the client wrote itself
    const created = await fetch(`${base}/api/v1/admin/users`, {
      method: 'POST',
      body: JSON.stringify({ email: 'audited@plantline.local', name: 'Audited', role: 'viewer', password: 'audited-password-1' }),
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9', 'x-plantline-client': '198.51.100.1' },
    });
    assert.equal(created.status, 201);
    const audit = (await (await fetch(`${base}/api/v1/admin/audit?action=user_created`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { items: { target: string; ip: string }[] };
    assert.deepEqual(audit.items.filter((a) => a.target.includes('audited@plantline.local')).map((a) => a.ip), ['127.0.0.1']);
    // the rollup builder does not run here (it would have passed once within 2 s)
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(((await (await fetch(`${base}/api/health`)).json()) as { rollups: { cycles: number } }).rollups.cycles, 0);
  } finally {
    await app.stop();
  }
});

test('a second SIGTERM while stopping waits for nothing more: the process ends at once, saying what happens to what was not stored', { timeout: 60_000 }, async () => {
  // a process whose stop never finishes (as when the store does not answer)
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-signals-')), 'child.ts');
  fs.writeFileSync(file, `import { onStopSignals } from ${JSON.stringify(path.resolve('ingest/runtime.ts'))};\nonStopSignals('t', () => new Promise(() => undefined));\nconsole.log('ready');\nsetInterval(() => undefined, 1000);\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  while (!out.includes('storing what was received')) await new Promise((r) => setTimeout(r, 50));
  // still running: the first signal waits for the store
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(child.exitCode, null);
  child.kill('SIGTERM');
  assert.equal(await exited, 1);
  assert.match(out, /t: SIGTERM, storing what was received and stopping \(SIGTERM again to stop at once\)/);
  assert.match(out, /t: second SIGTERM, stopping now; what is not stored yet was not acknowledged \(Kafka delivers it again, HTTP senders retry\)/);
});

test('server mode, ClickHouse not answering yet: npm run ingest listens, health says starting and why, ingest answers 503, and it keeps trying', { timeout: 60_000 }, async () => {
  // a loopback port nobody listens on: ClickHouse is not up (yet)
  const closedPort = await freePort();
  const ingest = await npmRunIngest({ CLICKHOUSE_URL: `http://127.0.0.1:${closedPort}`, PLANTLINE_INGEST_TOKEN: 'starting-token', PLANTLINE_SIMULATOR: 'off' });
  const { base } = ingest;
  const out = () => ingest.output();
  try {
    // two tries, a second apart: it waits rather than exiting
    while ((out().match(/does not answer/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 100));
    assert.match(out(), new RegExp(`\\[ingest\\] ClickHouse at 127\\.0\\.0\\.1:${closedPort} does not answer \\(.*ECONNREFUSED.*\\); trying again in 1 s`));
    assert.match(out(), /trying again in 2 s/);
    assert.equal(ingest.running(), true);
    const anonymous = await fetch(`${base}/api/health`);
    assert.equal(anonymous.status, 503);
    const h = (await anonymous.json()) as { status: string; backend: string; store: { ok: boolean; error: string } };
    assert.deepEqual([h.status, h.backend, h.store.ok, h.store.error], ['starting', 'server', false, ERROR_TEXT_WITHHELD]);
    const full = (await (await fetch(`${base}/api/health`, { headers: { authorization: 'Bearer starting-token' } })).json()) as typeof h;
    assert.match(full.store.error, /^waiting for ClickHouse: .*ECONNREFUSED/);
    const posted = await fetch(`${base}/api/ingest/postings`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer starting-token' } });
    assert.equal(posted.status, 503);
    assert.equal(posted.headers.get('retry-after'), '5');
    assert.match(((await posted.json()) as { error: string }).error, /^Plantline is starting \(waiting for ClickHouse\): nothing was kept; send it again$/);
    // an OTLP exporter gets its own error body (google.rpc.Status, UNAVAILABLE); an API caller JSON
    const traces = await fetch(`${base}/v1/traces`, { method: 'POST', body: new Uint8Array(0), headers: { 'content-type': 'application/json' } });
    assert.equal(traces.status, 503);
    assert.deepEqual(await traces.json(), { code: 14, message: 'Plantline is starting (waiting for ClickHouse): nothing was kept; send it again' });
    const api = await fetch(`${base}/api/v1/overview`);
    assert.equal(api.status, 503);
    assert.equal(api.headers.get('content-type'), 'application/json; charset=utf-8');
  } finally {
    await ingest.stop();
  }
});

test('server mode end to end: npm run ingest waits for ClickHouse, then migrates and stores; a web-only npm start beside it serves the same store', { timeout: 600_000 }, async () => {
  const chPort = await freePort();
  const clickhouseUrl = `http://127.0.0.1:${chPort}`;
  const ingestToken = 'server-mode-ingest-token';
  const adminToken = 'server-mode-admin-token-0123456789abcdef';
  const ingest = await npmRunIngest({ CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_DATABASE: 'plantline_e2e', PLANTLINE_INGEST_TOKEN: ingestToken, PLANTLINE_FLUSH_MS: '50' });
  const { base } = ingest;
  let clickhouse: ClickHouseServer | undefined;
  let web: Awaited<ReturnType<typeof npmStart>> | undefined;
  try {
    while (!ingest.output().includes('does not answer')) await new Promise((r) => setTimeout(r, 100));
    // ClickHouse comes up on the address it was given: the ingest process opens the store on its next try
    clickhouse = await startClickHouseServer({ port: chPort });
    const deadline = Date.now() + 60_000;
    let health: { status: string; backend: string; store: { ok: boolean } } | undefined;
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/api/health`);
      health = (await res.json()) as typeof health;
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual([health?.status, health?.backend, health?.store.ok], ['ok', 'server', true], ingest.output());
    assert.equal((await fetch(`${base}/api/health`)).headers.get('x-frame-options'), 'DENY');

    // three transactions of the last hour, one of them failed, one sent twice
    const now = Date.now();
    const iso = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const lines = [
      posting({ event_id: 'e2e-1', correlation_id: 'E2E-1', status: 'posted', occurred_at: iso(30), reported_at: iso(29), document_no: '5000000001' }),
      posting({ event_id: 'e2e-2', correlation_id: 'E2E-2', plant: 'P02', status: 'failed', occurred_at: iso(20), reported_at: iso(19), error: { code: 'M7', category: 'master_data', message: 'material not found', recoverable: true } }),
      posting({ event_id: 'e2e-3', correlation_id: 'E2E-3', status: 'pending', occurred_at: iso(10), reported_at: iso(9) }),
    ];
    const body = [...lines, lines[0]].map((l) => JSON.stringify(l)).join('\n');
    const posted = await fetch(`${base}/api/ingest/postings`, { method: 'POST', body, headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/x-ndjson' } });
    assert.equal(posted.status, 200, ingest.output());
    const answer = (await posted.json()) as { accepted: number; rejected: unknown[] };
    assert.deepEqual([answer.accepted, answer.rejected], [4, []]);

    // a web-only process on the same ClickHouse: migrations already applied, figures from the same rows
    web = await npmStart({ CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_DATABASE: 'plantline_e2e', PLANTLINE_INGEST: 'off', PLANTLINE_INGEST_TOKEN: ingestToken, PLANTLINE_ADMIN_TOKEN: adminToken });
    assert.match(web.output(), /Plantline is up: open http:\/\/localhost:\d+ +\(ClickHouse at 127\.0\.0\.1:\d+, database plantline_e2e; Kafka off; web only: PLANTLINE_INGEST=off\)/);
    const get = async (p: string) => {
      const res = await fetch(`http://127.0.0.1:${web!.port}${p}`, { headers: { authorization: `Bearer ${adminToken}` } });
      assert.equal(res.status, 200, p);
      return (await res.json()) as Record<string, any>;
    };
    const overview = await get('/api/v1/overview');
    assert.deepEqual([overview.transactions, overview.posted, overview.failed, overview.pending, overview.open_exceptions], [3, 1, 1, 1, 1]);
    const failed = await get('/api/v1/exceptions');
    assert.deepEqual(failed.items.map((i: { correlation_id: string; plant: string; error_category: string }) => [i.correlation_id, i.plant, i.error_category]), [['E2E-2', 'P02', 'master_data']]);
    const tx = await get('/api/v1/transactions/E2E-1');
    assert.deepEqual(tx.events.map((e: { event_id: string; document_no: string }) => [e.event_id, e.document_no]), [['e2e-1', '5000000001']]);
    assert.equal((await fetch(`http://127.0.0.1:${web.port}/signin`)).status, 200);
  } finally {
    await web?.stop();
    await ingest.stop();
    await clickhouse?.stop();
  }
});
