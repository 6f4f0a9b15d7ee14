// One writer per table: it owns batching (flush by size or time), retries with backoff while the store
// fails, and splits a batch the store refuses as a whole. Nothing is dropped: a batch stays in memory,
// identical, until it is inserted, and it is always retried with the same deduplication token.
import { createHash } from 'node:crypto';
import type { Store } from '../clickhouse/client';
import { insertRows } from '../clickhouse/client';

/** Insert serialized rows (JSONCompactEachRow in `columns` order, or JSONEachRow when columns is null). */
export type InsertFn = (table: string, columns: readonly string[] | null, chunks: string[], dedupToken: string) => Promise<void>;

export type WriterOptions = {
  /** Batches in flight at once (each on its own connection when several are given). */
  concurrency?: number;
  /** Column order of the serialized rows (arrays); null when rows are JSON objects. */
  columns?: readonly string[] | null;
  batchRows: number;
  /**
   * A connection that is free inserts as soon as this many rows wait (default batchRows / 4), rather
   * than waiting for a full batch or the timer: under a backlog the store is never idle while rows
   * queue, and batches still grow to batchRows whenever inserts are slower than arrivals.
   */
  minBatchRows?: number;
  /**
   * The same by weight (sizeOf): rows this heavy are a worthwhile batch whatever their number, and no
   * batch grows heavier (it holds one submission at least). Without it, rows heavy enough to fill the
   * pipeline's byte bound before minBatchRows would pause the sources with nothing inserting until the timer.
   */
  batchBytes?: number;
  flushIntervalMs: number;
  /** First retry delay; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Rows that the store refuses as data (not as an outage) are handed here after the batch is split down
   * to them, with the origin their submission was added with.
   */
  onPoisonRow?: (line: string, reason: string, origin: string) => Promise<void>;
  /** Called whenever a batch has left the writer (stored, or given up): its rows no longer count as buffered. */
  onSettled?: () => void;
  log?: (msg: string) => void;
};

/**
 * Rows serialized for an insert: one JSON row per line (an array in the writer's column order, or an
 * object), each line ending with '\n'. One text per submission rather than a string per row: a
 * batch waits in memory until it is stored, and 20,000 small strings cost the garbage collector far
 * more than one large one.
 */
export type Rows = { text: string; count: number };

export function rowsFromLines(lines: string[]): Rows {
  return { text: lines.length ? `${lines.join('\n')}\n` : '', count: lines.length };
}

/** Serialized rows and where they came from (the origin they were added with). */
type Part = { text: string; origin: string };

/**
 * Each row on its own with its position. A row's JSON never holds a raw newline (JSON.stringify escapes
 * it), so lines split rows exactly.
 */
function linesOf(parts: Part[]): Part[] {
  return parts.flatMap(({ text, origin }) => text.split('\n').filter((line) => line !== '').map((line) => ({ text: `${line}\n`, origin })));
}

type Entry = { text: string; count: number; position: string; origin: string; done: () => void; failed: (e: Error) => void };

/**
 * What a text of rows weighs in memory, for back-pressure: its length in characters. V8 keeps text that
 * is all Latin-1 at a byte a character (nearly every row: JSON escapes control characters) and other
 * text at two, so this is the bytes held, or half of them for text outside Latin-1.
 */
export const sizeOf = (text: string) => text.length;

export type WriterStats = {
  table: string;
  bufferedRows: number;
  inFlightRows: number;
  /** What the rows queued, and those in flight, weigh (sizeOf their text). */
  bufferedBytes: number;
  inFlightBytes: number;
  insertedRows: number;
  insertedBatches: number;
  failedAttempts: number;
  lastError: string | null;
  lastInsertMs: number | null;
  /** Time spent in successful inserts since start: with wall time, how busy the store keeps this writer. */
  totalInsertMs: number;
};

// ClickHouse error codes that mean "this data is wrong", where retrying the same rows cannot help
// (25: CANNOT_PARSE_ESCAPE_SEQUENCE, e.g. an unpaired surrogate in a span attribute from OTLP JSON).
const DATA_ERROR_CODES = new Set(['6', '25', '26', '27', '38', '41', '53', '69', '70', '72', '117', '131', '321', '349', '467']);

export class TableWriter {
  private queue: Entry[] = [];
  private queuedRows = 0;
  private inFlightRows = 0;
  private queuedBytes = 0;
  private inFlightBytes = 0;
  /** inserts waiting to try again after the store failed (not a data error): the store is not answering */
  private retrying = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Batches being inserted, each with the connection (insert function) it holds. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly idle: InsertFn[];
  private closed = false;
  private readonly stats: WriterStats;

  /** `target`: a store, an insert function, or several (one connection each, for concurrent batches). */
  constructor(
    readonly table: string,
    target: Store | InsertFn | (Store | InsertFn)[],
    private readonly opts: WriterOptions,
  ) {
    const targets = Array.isArray(target) ? target : [target];
    const fns = targets.map((t): InsertFn => (typeof t === 'function' ? t : (tb, columns, chunks, token) => insertRows(t, tb, columns, chunks, token, { background: true })));
    const concurrency = Math.max(1, opts.concurrency ?? fns.length);
    this.idle = Array.from({ length: concurrency }, (_, i) => fns[i % fns.length]);
    this.stats = { table, bufferedRows: 0, inFlightRows: 0, bufferedBytes: 0, inFlightBytes: 0, insertedRows: 0, insertedBatches: 0, failedAttempts: 0, lastError: null, lastInsertMs: null, totalInsertMs: 0 };
  }

  /**
   * Queue serialized rows (`Rows`, or one JSON array or object per line, without newlines). Resolves
   * once they are durably in the table. `position` names the submission: the batch's deduplication
   * token is derived from the positions it holds, so the same batch always carries the same token.
   * `origin` (default: the position) is where the rows came from, for the reject of a row the store
   * refuses (onPoisonRow): a position that stays the same when they are sent again.
   */
  add(rows: Rows | string[], position: string, origin = position): Promise<void> {
    const { text, count } = Array.isArray(rows) ? rowsFromLines(rows) : rows;
    if (this.closed) return Promise.reject(new Error(`writer for ${this.table} is closed`));
    if (count === 0) return Promise.resolve();
    return new Promise<void>((done, failed) => {
      this.queue.push({ text, count, position, origin, done, failed });
      this.queuedRows += count;
      this.queuedBytes += sizeOf(text);
      this.schedule();
    });
  }

  private get minBatchRows(): number {
    return Math.max(1, Math.min(this.opts.batchRows, this.opts.minBatchRows ?? Math.ceil(this.opts.batchRows / 4)));
  }

  /** Enough waits to be worth an insert of its own: minBatchRows rows, or batchBytes of them. */
  private get worthwhile(): boolean {
    return this.queuedRows >= this.minBatchRows || (this.opts.batchBytes !== undefined && this.queuedBytes >= this.opts.batchBytes);
  }

  /** Insert now when a full batch waits, or a worthwhile one and a connection is free; else when the time has come. */
  private schedule() {
    if (this.queuedRows === 0) return;
    if (this.queuedRows >= this.opts.batchRows || (this.idle.length > 0 && this.worthwhile)) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.opts.flushIntervalMs);
  }

  get bufferedRows(): number {
    return this.queuedRows + this.inFlightRows;
  }

  /** What the rows queued and in flight weigh (sizeOf their text): the memory a store outage makes this writer hold. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  snapshot(): WriterStats {
    return { ...this.stats, bufferedRows: this.queuedRows, inFlightRows: this.inFlightRows, bufferedBytes: this.queuedBytes, inFlightBytes: this.inFlightBytes };
  }

  /** Flush everything queued now and wait for it. */
  async flush(): Promise<void> {
    while (this.queuedRows > 0 || this.inFlight.size > 0) {
      this.kick();
      await Promise.race(this.inFlight);
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private kick() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // a batch per idle connection while a worthwhile batch waits (kick itself is the timer's and flush's way to send a partial one)
    while (this.queuedRows > 0 && this.idle.length > 0) {
      const insert = this.idle.pop()!;
      const batch = this.drain(insert).finally(() => {
        this.idle.push(insert);
        this.inFlight.delete(batch);
        this.schedule();
      });
      this.inFlight.add(batch);
      if (!this.worthwhile) break;
    }
  }

  /** Take whole entries up to batchRows and insert them on one connection. */
  private async drain(insert: InsertFn): Promise<void> {
    const batch: Entry[] = [];
    let rows = 0;
    let bytes = 0;
    const maxBytes = this.opts.batchBytes ?? Infinity;
    while (this.queue.length && (rows === 0 || (rows + this.queue[0].count <= this.opts.batchRows && bytes + sizeOf(this.queue[0].text) <= maxBytes))) {
      const e = this.queue.shift()!;
      batch.push(e);
      rows += e.count;
      bytes += sizeOf(e.text);
    }
    this.queuedRows -= rows;
    this.inFlightRows += rows;
    this.queuedBytes -= bytes;
    this.inFlightBytes += bytes;
    // the same token for the same rows from the same positions (a retry, here or after a restart), and
    // another for other rows at a position that comes round again (a file of the same name imported
    // again with new lines, a topic recreated): the store drops only the former as a repeat
    const hash = createHash('sha256').update(this.table).update(batch.map((e) => `${e.position}#${e.count}`).join('|'));
    for (const e of batch) hash.update(e.text);
    const token = hash.digest('hex');
    try {
      await this.insertWithRetry(insert, batch, rows, token);
      for (const e of batch) e.done();
    } catch (err) {
      for (const e of batch) e.failed(err as Error);
    } finally {
      this.inFlightRows -= rows;
      this.inFlightBytes -= bytes;
      this.opts.onSettled?.();
    }
  }

  /** `parts`: serialized rows (each ends with a newline), `rows` of them in all. */
  private async insertWithRetry(insert: InsertFn, parts: Part[], rows: number, token: string): Promise<void> {
    const chunks = parts.map((p) => p.text);
    let delay = this.opts.backoffMs ?? 100;
    const maxDelay = this.opts.maxBackoffMs ?? 5_000;
    let retrying = false;
    try {
      for (;;) {
        const started = performance.now();
        try {
          await insert(this.table, this.opts.columns ?? null, chunks, token);
          this.stats.insertedRows += rows;
          this.stats.insertedBatches += 1;
          this.stats.lastInsertMs = Math.round(performance.now() - started);
          this.stats.totalInsertMs += this.stats.lastInsertMs;
          this.stats.lastError = null;
          return;
        } catch (err) {
          this.stats.failedAttempts += 1;
          this.stats.lastError = (err as Error).message?.slice(0, 500) ?? String(err);
          if (isDataError(err) && this.opts.onPoisonRow) {
            await this.splitAndInsert(insert, linesOf(parts), token, err as Error);
            return;
          }
          if (!retrying) {
            retrying = true;
            this.retrying++;
          }
          this.opts.log?.(`insert into ${this.table} failed (${rows} rows), retrying in ${delay} ms: ${this.stats.lastError}`);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, maxDelay);
        }
      }
    } finally {
      if (retrying) this.retrying--;
    }
  }

  /** An insert of this table failed and waits to try again: the store is not answering (or refuses to write). */
  get failing(): boolean {
    return this.retrying > 0;
  }

  /** The store refused the data itself: halve until the offending rows are alone, and hand those over. */
  private async splitAndInsert(insert: InsertFn, lines: Part[], token: string, err: Error): Promise<void> {
    if (lines.length === 1) {
      await this.opts.onPoisonRow!(lines[0].text.slice(0, -1), `store refused the row: ${err.message.slice(0, 300)}`, lines[0].origin);
      return;
    }
    const mid = Math.ceil(lines.length / 2);
    for (const [half, suffix] of [[lines.slice(0, mid), 'a'], [lines.slice(mid), 'b']] as const) {
      await this.insertWithRetry(insert, half, half.length, `${token}-${suffix}`);
    }
  }
}

function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code !== undefined && DATA_ERROR_CODES.has(String(code));
}
