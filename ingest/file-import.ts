// `npm run import -- --stream postings|inventory FILE.ndjson [--url http://host:3000 --token T]`
// For plants that still exchange files. Reads the file in blocks, judges every line against the
// contract and stores the good ones; prints what it accepted and, per rejected line, the reason.
// Re-importing a file changes nothing: postings collapse on event_id, rejects on their position (the
// file's path, a digest of its content, the line), so another file at the same path (tomorrow's export)
// has rejects of its own.
// Without --url it writes to the store directly (the embedded store must not be open in another
// process: with `npm start` running, pass --url to go through the app).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import type { InventoryRow, PostingRow } from '../lib/contract';
import { decodeBody, type BusinessStream } from './decode';
import { startIngestRuntime } from './runtime';
import type { IngestPipeline, Reject } from './pipeline';

export type ImportReport = { file: string; lines: number; accepted: number; rejected: { line: number; reason: string }[] };

const BLOCK_BYTES = 4 * 1024 * 1024;

/** Yield blocks of whole lines (split on \n bytes, so invalid UTF-8 stays confined to its line), with the number of their first line. */
async function* lineBlocks(file: string): AsyncGenerator<{ firstLine: number; body: Buffer }> {
  let carry: Buffer = Buffer.alloc(0);
  let nextLine = 1;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: BLOCK_BYTES })) {
    const buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    const cut = buf.lastIndexOf(0x0a);
    if (cut === -1) {
      carry = buf;
      continue;
    }
    const body = buf.subarray(0, cut);
    carry = Buffer.from(buf.subarray(cut + 1));
    yield { firstLine: nextLine, body };
    nextLine += countLines(body);
  }
  if (carry.length) yield { firstLine: nextLine, body: carry };
}

function countLines(body: Buffer): number {
  let n = 1;
  for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * The file as its lines' positions name it: its path and the first 64 bits of its content's SHA-256. The
 * same file imported again (or a copy at the same path) has the same positions, so its rejects are the
 * same rows; other content at that path (the next day's export) has other positions, so its rejects are
 * not merged into the earlier ones by the table's key (stream, source, source_position).
 */
async function fileIdentity(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: BLOCK_BYTES })) hash.update(chunk as Buffer);
  return `${file}@${hash.digest('hex').slice(0, 16)}`;
}

export async function importFile(pipeline: IngestPipeline, stream: BusinessStream, file: string): Promise<ImportReport> {
  const name = path.resolve(file);
  const report: ImportReport = { file: name, lines: 0, accepted: 0, rejected: [] };
  const before = fs.statSync(name);
  const id = await fileIdentity(name);
  for await (const { firstLine, body } of lineBlocks(name)) {
    const offset = firstLine - 1;
    const items = decodeBody(stream, body, (line) => ({ source: 'file', position: `file:${id}:${line + offset}` }));
    const rows: (PostingRow | InventoryRow)[] = [];
    const rejects: Reject[] = [];
    for (const item of items) {
      const line = item.line + offset;
      if (item.result.ok) rows.push(item.result.row);
      else rejects.push({ stream, source: 'file', position: `file:${id}:${line}`, line, reason: item.result.reason, raw: item.raw });
    }
    await pipeline.waitForCapacity();
    const position = `file:${id}:${firstLine}`;
    await Promise.all([
      stream === 'postings' ? pipeline.submitPostings(rows as PostingRow[], position) : pipeline.submitInventory(rows as InventoryRow[], position),
      pipeline.reject(rejects),
    ]);
    report.lines = offset + countLines(body);
    report.accepted += rows.length;
    for (const r of rejects) report.rejected.push({ line: r.line, reason: r.reason });
  }
  // the positions name the content read first: a file still being written is another content
  const after = fs.statSync(name);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    throw new Error(`${name} changed while it was imported (size ${before.size} → ${after.size} bytes): import it again once it is complete (its good lines are stored; again, they change nothing)`);
  }
  return report;
}

/** The same through a running app's HTTP endpoint, block by block. */
export async function importFileOverHttp(url: string, token: string, stream: BusinessStream, file: string): Promise<ImportReport> {
  const name = path.resolve(file);
  const report: ImportReport = { file: name, lines: 0, accepted: 0, rejected: [] };
  for await (const { firstLine, body } of lineBlocks(name)) {
    const res = await fetch(new URL(`/api/ingest/${stream}`, url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: new Uint8Array(body),
    });
    const answer = (await res.json()) as { accepted?: number; rejected?: { line: number; reason: string }[]; error?: string };
    if (!res.ok) throw new Error(`${url} answered ${res.status} for lines from ${firstLine}: ${answer.error ?? ''}`);
    report.accepted += answer.accepted ?? 0;
    for (const r of answer.rejected ?? []) report.rejected.push({ line: r.line + firstLine - 1, reason: r.reason });
    report.lines = firstLine - 1 + countLines(body);
  }
  return report;
}

async function main() {
  const { values, positionals } = parseArgs({
    options: { stream: { type: 'string', default: 'postings' }, url: { type: 'string' }, token: { type: 'string' } },
    allowPositionals: true,
  });
  const stream = values.stream as BusinessStream;
  if (stream !== 'postings' && stream !== 'inventory') throw new Error(`--stream ${stream}: expected postings or inventory`);
  if (positionals.length === 0) throw new Error('usage: npm run import -- --stream postings|inventory FILE.ndjson [--url URL --token TOKEN]');
  const reports: ImportReport[] = [];
  if (values.url) {
    const token = values.token ?? process.env.PLANTLINE_INGEST_TOKEN;
    if (!token) throw new Error('--url needs --token or PLANTLINE_INGEST_TOKEN');
    for (const file of positionals) reports.push(await importFileOverHttp(values.url, token, stream, file));
  } else {
    const runtime = await startIngestRuntime(loadConfig(), { kafka: false });
    try {
      for (const file of positionals) reports.push(await importFile(runtime.pipeline, stream, file));
    } finally {
      await runtime.stop();
    }
  }
  for (const r of reports) {
    console.log(`${r.file}: ${r.lines} lines, ${r.accepted} accepted, ${r.rejected.length} rejected`);
    for (const x of r.rejected.slice(0, 50)) console.log(`  line ${x.line}: ${x.reason}`);
    if (r.rejected.length > 50) console.log(`  … and ${r.rejected.length - 50} more (see the rejects table)`);
  }
  if (reports.some((r) => r.rejected.length)) process.exitCode = 2;
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`import failed: ${(e as Error).message}`);
    process.exit(1);
  });
}
