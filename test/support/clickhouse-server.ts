// A ClickHouse server on loopback for the server-mode tests (CLICKHOUSE_URL): ClickHouse's own HTTP
// interface, served by the engine the chdb package already installed (libchdb.so, clickhouse-local with
// its HTTP listener started; see clickhouse/http-server.py). The same engine version as the embedded
// store, reached the way a server is: over HTTP, statements side by side, settings and parameters in
// the request, the database per request. No replication (no Keeper): ON CLUSTER DDL is checked as text.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

export type ClickHouseServer = { url: string; dataDir: string; log(): string; stop(): Promise<void> };

/** libchdb.so of the installed chdb package (its per-platform optional dependency). */
export function libchdbPath(): string {
  const pkg = require.resolve('@chdb/lib-linux-x64-gnu/package.json', { paths: [path.dirname(require.resolve('chdb'))] });
  return path.join(path.dirname(pkg), 'libchdb.so');
}

/** Start a server in a new temporary folder (on `port`, else a free one); resolves once it answers /ping. */
export async function startClickHouseServer(opts: { timeoutMs?: number; port?: number } = {}): Promise<ClickHouseServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantline-clickhouse-'));
  const port = opts.port ?? (await freePort());
  const script = path.join(__dirname, 'clickhouse', 'http-server.py');
  let output = '';
  const child: ChildProcess = spawn('python3', [script, `--path=${dataDir}`, `--http_port=${port}`, '--listen_host=127.0.0.1'], {
    env: { ...process.env, LIBCHDB: libchdbPath() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killed);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`the ClickHouse server stopped while starting:\n${output}`);
    try {
      const res = await fetch(`${url}/ping`);
      if (res.ok && (await res.text()).startsWith('Ok.')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the ClickHouse server did not answer /ping on ${url} within ${opts.timeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, dataDir, log: () => output, stop };
}
