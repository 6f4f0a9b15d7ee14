// HTTP ingest: POST /api/ingest/postings and /api/ingest/inventory (NDJSON or a JSON array, bearer
// ingest token), POST /v1/traces (OTLP/HTTP, protobuf or JSON) and GET /api/health. A plain Node
// handler, mounted in front of Next.js by the embedded server and served alone by `npm run ingest`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import zlib from 'node:zlib';
import { decodeBody, type BusinessStream } from './decode';
import { decodeValidSpans, encodeErrorStatus, encodeTraceResponse, type OtlpEncoding } from './otlp';
import type { IngestPipeline, Reject } from './pipeline';
import { Waiters } from './waiters';
import type { InventoryRow, PostingRow } from '../lib/contract';

export type HttpIngestOptions = {
  pipeline: IngestPipeline;
  /** false: a web-only process (PLANTLINE_INGEST=off) answers ingest with 404 and where to send it; health stays */
  enabled?: boolean;
  ingestToken: string;
  maxBodyBytes: number;
  /**
   * Longest a request waits in all, for a body slot and then for the writers' room; then 503 with
   * Retry-After (config.ingest.httpBusyWaitMs). Also how long a request whose rows were handed over
   * waits for a store whose inserts fail before it is answered 503 (untilStored).
   */
  busyWaitMs: number;
  /** OTLP exporters often run without credentials; require the token there too when set. */
  otlpRequiresToken: boolean;
  health: () => Promise<{ ok: boolean; body: unknown }>;
};

export const INGEST_PATHS = ['/api/ingest/postings', '/api/ingest/inventory', '/v1/traces', '/api/health'];

export function isIngestPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return INGEST_PATHS.includes(path);
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Seconds a sender is asked to wait (Retry-After) when the writers are full. */
export const BUSY_RETRY_AFTER_SECONDS = 5;

/** gRPC's code for an HTTP status, for the google.rpc.Status of an OTLP/HTTP error answer. */
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 404: 12, 405: 12, 413: 3, 415: 3, 500: 13, 503: 14 };

/** Request bodies read at once, at most: with the writers' bound, what HTTP ingest holds in memory. */
export const HTTP_BODIES_IN_FLIGHT = 8;

/** 503 with Retry-After; the connection is closed (a sender holding a large body does not keep it open). */
const unavailable = (message: string) => new HttpError(503, message, { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS), connection: 'close' });
const busy = () => unavailable(`ingest is behind (the store is slow or down): nothing of this request was kept; send it again in ${BUSY_RETRY_AFTER_SECONDS} s`);
const storeNotAnswering = () => unavailable(`the store is not answering (inserts fail and are being retried): nothing of this request was kept; send it again in ${BUSY_RETRY_AFTER_SECONDS} s`);
const notStoredYet = () =>
  unavailable(`the store stopped answering while this request was being stored: it is not stored yet; send it again in ${BUSY_RETRY_AFTER_SECONDS} s (what arrives twice is counted once)`);

/** The tables a request's rows go to: its stream's, and rejects when some of it was refused. */
type TablesOf = Parameters<IngestPipeline['storeFailing']>[0];

/**
 * Until the rows handed to the writers are stored. A store that is slow but answers is waited for; one
 * whose inserts fail (down, or refusing writes) is waited for `graceMs` at most, then the sender gets
 * 503 and sends again: it is not held for the whole outage. Its rows stay with the writers and are
 * stored once the store answers; the copy sent again is a duplicate, counted once (event_id; trace and
 * span id).
 */
async function untilStored(stored: Promise<unknown>, pipeline: IngestPipeline, tables: TablesOf, graceMs: number): Promise<void> {
  const started = Date.now();
  let done = false;
  const settled = stored.then(
    () => (done = true),
    () => (done = true),
  );
  for (;;) {
    await Promise.race([settled, new Promise((r) => setTimeout(r, 250))]);
    if (done) return void (await stored);
    // only the tables this request's rows go to: another table's trouble does not hold its answer
    if (Date.now() - started >= graceMs && pipeline.storeFailing(tables)) throw notStoredYet();
  }
}

/**
 * Back-pressure for HTTP senders. A request waits for one of HTTP_BODIES_IN_FLIGHT slots before its body
 * is read, and then, body in hand, for the writers to have room before it hands its rows over: at most
 * busyWaitMs in all, else 503 with Retry-After and nothing kept. What HTTP ingest holds is bounded (the
 * writers' rows plus at most that many bodies) while reading the next bodies still overlaps the store's
 * inserts; a sender waiting for a slot holds nothing. `admit` gives the slot's release (to call once the
 * rows are the writers', or the request failed) and `room`, the wait for the writers.
 */
function admissionGate(opts: HttpIngestOptions) {
  let inFlight = 0;
  // one waiter woken per slot freed
  const slotWaiters = new Waiters();
  return async function admit(): Promise<{ release: () => void; room: (tables: TablesOf) => Promise<void> }> {
    const deadline = Date.now() + opts.busyWaitMs;
    while (inFlight >= HTTP_BODIES_IN_FLIGHT) {
      const left = deadline - Date.now();
      if (left <= 0) throw busy();
      await slotWaiters.wait(left);
    }
    inFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        inFlight--;
        slotWaiters.wakeOne();
      },
      room: async (tables: TablesOf) => {
        // nothing more is taken in while the store's inserts into its tables fail: senders are answered
        // at once, not held (also when the writers are full of what waits for the store)
        if (opts.pipeline.storeFailing(tables)) throw storeNotAnswering();
        if (!(await opts.pipeline.waitForCapacity(Math.max(0, deadline - Date.now())))) throw busy();
        if (opts.pipeline.storeFailing(tables)) throw storeNotAnswering();
      },
    };
  };
}

/** 413 from the declared length alone, before anything waits or is read. */
function refuseDeclaredOverLimit(req: IncomingMessage, limit: number) {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, `body of ${declared} bytes is over the ${limit}-byte limit; split it into smaller requests`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(digest(m[1].trim()), digest(token));
}

/** Read the whole body, refusing (413) as soon as it passes the limit, before anything is written. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  refuseDeclaredOverLimit(req, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `body is over the ${limit}-byte limit; split it into smaller requests`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip' && encoding !== 'deflate') throw new HttpError(415, `content-encoding ${encoding} is not supported (use gzip, deflate or none)`);
  try {
    const inflate = encoding === 'gzip' ? zlib.gunzipSync : zlib.inflateSync;
    return inflate(body, { maxOutputLength: limit });
  } catch (e) {
    const tooBig = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger/.test((e as Error).message);
    throw new HttpError(tooBig ? 413 : 400, tooBig ? `decompressed body is over the ${limit}-byte limit` : `body is not valid ${encoding}: ${(e as Error).message}`);
  }
}

export function createIngestHandler(opts: HttpIngestOptions) {
  const admit = admissionGate(opts);
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    // OTLP/HTTP answers errors with a google.rpc.Status in the request's encoding, once that is known
    let otlp: OtlpEncoding | null = null;
    try {
      if (path === '/api/health') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'use GET');
        const h = await opts.health();
        return sendJson(res, h.ok ? 200 : 503, bearerMatches(req.headers.authorization, opts.ingestToken) ? h.body : withoutErrorTexts(h.body));
      }
      if (opts.enabled === false) {
        req.resume();
        throw new HttpError(404, `this process serves the web app only (PLANTLINE_INGEST=off): send ${path} to a process that ingests (npm run ingest)`);
      }
      if (req.method !== 'POST') throw new HttpError(405, `use POST for ${path}`);
      if (path === '/v1/traces') {
        otlp = otlpEncoding(req);
        return await handleTraces(otlp, req, res, opts, admit);
      }
      const stream: BusinessStream = path === '/api/ingest/postings' ? 'postings' : 'inventory';
      return await handleBusiness(stream, req, res, opts, admit);
    } catch (e) {
      const error = e instanceof HttpError ? e : new HttpError(500, 'internal error; the request was not stored, send it again');
      if (!(e instanceof HttpError)) console.error(`[ingest] ${req.method} ${path} failed:`, e);
      if (!res.headersSent) {
        if (otlp) sendStatus(res, otlp, error);
        else sendJson(res, error.status, { error: error.message }, error.headers);
      }
      // a body refused for its size, or before it was read, is not read: the connection closes once the
      // answer is out (the 503 says `connection: close`)
      if (error.status === 413) req.destroy();
      else if (error.status === 503) res.once('finish', () => req.destroy());
    }
  };
}

/** Where a start stands before the ingest runtime is up (server mode: ClickHouse may not answer yet). */
export type StartingState = { backend: 'chdb' | 'server'; since: Date; waitingFor: string | null };

/**
 * What the listener answers until the runtime is up: health 503 `starting` (with why, to the ingest
 * token's holder), ingest 503 with Retry-After (nothing is taken in), and a page that reloads itself.
 */
export function createStartingHandler(state: StartingState, ingestToken: string) {
  return function starting(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    const retry = { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) };
    const why = state.waitingFor ? `waiting for ClickHouse: ${state.waitingFor}` : 'opening the store';
    req.resume();
    if (path === '/api/health') {
      const body = { status: 'starting', backend: state.backend, since: state.since.toISOString(), store: { ok: false, latency_ms: null, error: why } };
      return sendJson(res, 503, bearerMatches(req.headers.authorization, ingestToken) ? body : withoutErrorTexts(body), retry);
    }
    const error = `Plantline is starting (${state.waitingFor ? 'waiting for ClickHouse' : 'opening the store'}): nothing was kept; send it again`;
    if (path === '/v1/traces') {
      // OTLP's error body in the request's encoding, when it names one
      let encoding: OtlpEncoding | null = null;
      try {
        encoding = otlpEncoding(req);
      } catch {
        // not an OTLP content type: JSON below
      }
      if (encoding) return sendStatus(res, encoding, new HttpError(503, error, retry));
    }
    if (isIngestPath(req.url) || path.startsWith('/api/')) return sendJson(res, 503, { error }, retry);
    const html = `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="${BUSY_RETRY_AFTER_SECONDS}"><title>Plantline is starting</title><p style="font:16px system-ui;margin:3rem">Plantline is starting${state.waitingFor ? ': waiting for its ClickHouse store to answer' : ''}. This page reloads itself.</p>`;
    res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), ...retry });
    res.end(html);
  };
}

/** What health says instead of an error text to a caller without the ingest token. */
export const ERROR_TEXT_WITHHELD = 'withheld: send Authorization: Bearer <ingest token> to read error texts';

/**
 * Health for anyone: states, counts and lag, but no error texts (`error`, `lastError`), which can quote
 * the data that caused them (a row the store refused, a message's bytes); the ingest token's holder gets
 * them as they are.
 */
export function withoutErrorTexts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutErrorTexts);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, (k === 'error' || k === 'lastError') && typeof v === 'string' ? ERROR_TEXT_WITHHELD : withoutErrorTexts(v)]),
  );
}

function requireToken(req: IncomingMessage, opts: HttpIngestOptions) {
  if (!bearerMatches(req.headers.authorization, opts.ingestToken)) {
    throw new HttpError(401, 'missing or wrong ingest token: send Authorization: Bearer <PLANTLINE_INGEST_TOKEN>');
  }
}

function sendStatus(res: ServerResponse, encoding: OtlpEncoding, error: HttpError) {
  const body = Buffer.from(encodeErrorStatus(encoding, GRPC_CODE[error.status] ?? 2, error.message));
  res.writeHead(error.status, {
    'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': body.length,
    ...error.headers,
  });
  res.end(body);
}

type Admit = ReturnType<typeof admissionGate>;
type Slot = Awaited<ReturnType<Admit>>;

/** A body too big for its declared length is refused at once; else `store` runs holding a slot. */
async function inSlot(req: IncomingMessage, opts: HttpIngestOptions, admit: Admit, store: (slot: Slot) => Promise<void>) {
  refuseDeclaredOverLimit(req, opts.maxBodyBytes);
  const slot = await admit();
  try {
    await store(slot);
  } finally {
    slot.release();
  }
}

/**
 * The writers' position for a request's rows: its id and this delivery. The same body sent again is
 * another submission, so its insert carries another deduplication token: were the first copy's rows
 * gone from the store (deleted), the store would otherwise drop the second as a repeat of the first.
 * What arrives twice is counted once by event_id (trace and span id) all the same.
 */
const submission = (origin: string) => `${origin}#${randomUUID()}`;

/**
 * A request's id, in the positions of its rows and rejects (`http:<id>:<line>`), from what it carries:
 * the same body sent again (a sender retrying after a 503 or a timeout) has the same id, so its rejects
 * are the same rejects, counted once, as its rows are (by event_id).
 */
export function requestIdOf(stream: string, body: Buffer): string {
  return createHash('sha256').update(stream).update('\n').update(body).digest('hex').slice(0, 32);
}

async function handleBusiness(stream: BusinessStream, req: IncomingMessage, res: ServerResponse, opts: HttpIngestOptions, admit: Admit) {
  requireToken(req, opts);
  await inSlot(req, opts, admit, (slot) => storeBusiness(stream, req, res, opts, slot));
}

async function storeBusiness(stream: BusinessStream, req: IncomingMessage, res: ServerResponse, opts: HttpIngestOptions, slot: Slot) {
  const body = await readBody(req, opts.maxBodyBytes);
  const requestId = requestIdOf(stream, body);
  const items = decodeBody(stream, body, (line) => ({ source: 'http', position: `http:${requestId}:${line}` }));
  const rows: (PostingRow | InventoryRow)[] = [];
  const rejects: Reject[] = [];
  for (const item of items) {
    if (item.result.ok) rows.push(item.result.row);
    else rejects.push({ stream, source: 'http', position: `http:${requestId}:${item.line}`, line: item.line, reason: item.result.reason, raw: item.raw });
  }
  const origin = `http:${requestId}`;
  const tables: TablesOf = rejects.length ? [stream, 'rejects'] : [stream];
  await slot.room(tables);
  const stored = Promise.all([
    stream === 'postings'
      ? opts.pipeline.submitPostings(rows as PostingRow[], submission(origin), origin)
      : opts.pipeline.submitInventory(rows as InventoryRow[], submission(origin), origin),
    opts.pipeline.reject(rejects),
  ]);
  // the rows are the writers' now (counted in their bound): the slot goes to the next body
  slot.release();
  await untilStored(stored, opts.pipeline, tables, opts.busyWaitMs);
  sendJson(res, 200, {
    request_id: requestId,
    accepted: rows.length,
    rejected: rejects.map((r) => ({ line: r.line, reason: r.reason })),
  });
}

function otlpEncoding(req: IncomingMessage): OtlpEncoding {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new HttpError(415, `content-type ${type || '(none)'} is not OTLP/HTTP: use application/x-protobuf or application/json`);
}

async function handleTraces(encoding: OtlpEncoding, req: IncomingMessage, res: ServerResponse, opts: HttpIngestOptions, admit: Admit) {
  if (opts.otlpRequiresToken || req.headers.authorization) requireToken(req, opts);
  await inSlot(req, opts, admit, (slot) => storeTraces(encoding, req, res, opts, slot));
}

async function storeTraces(encoding: OtlpEncoding, req: IncomingMessage, res: ServerResponse, opts: HttpIngestOptions, slot: Slot) {
  const body = await readBody(req, opts.maxBodyBytes);
  const requestId = requestIdOf('spans', body);
  let decoded;
  try {
    decoded = decodeValidSpans(body, encoding);
  } catch (e) {
    const reason = (e as Error).message;
    await slot.room(['rejects']);
    const kept = opts.pipeline.reject([{ stream: 'spans', source: 'http', position: `http:${requestId}`, line: 0, reason, raw: body }]);
    slot.release();
    await untilStored(kept, opts.pipeline, ['rejects'], opts.busyWaitMs);
    throw new HttpError(400, `OTLP ${encoding} request could not be decoded: ${reason}`);
  }
  // the spans that are fine are kept; the others are answered as OTLP's partial success, and the request
  // is kept in rejects with their reasons
  const { rows: spans, partial } = decoded;
  const tables: TablesOf = partial ? ['spans', 'rejects'] : ['spans'];
  await slot.room(tables);
  const stored = Promise.all([
    opts.pipeline.submitSpans(spans, submission(`http:${requestId}`), `http:${requestId}`),
    partial ? opts.pipeline.reject([{ stream: 'spans', source: 'http', position: `http:${requestId}`, line: 0, reason: partial.errorMessage, raw: body }]) : undefined,
  ]);
  slot.release();
  await untilStored(stored, opts.pipeline, tables, opts.busyWaitMs);
  const answer = Buffer.from(encodeTraceResponse(encoding, partial ?? undefined));
  res.writeHead(200, {
    'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': answer.length,
  });
  res.end(answer);
}
