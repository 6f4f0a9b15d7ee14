// The one way Plantline talks to ClickHouse: @clickhouse/client, over HTTP to a server or cluster, or
// in-process to chDB through chdb's experimental `createClient({ connection })` hook. Same SQL either way.
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { Readable } from 'node:stream';
import type { Config } from '../lib/config';

export type Backend = 'chdb' | 'server';

export type Store = {
  backend: Backend;
  database: string;
  client: ClickHouseClient;
  close(): Promise<void>;
};

/** Values for `{name:Type}` placeholders. Nothing else may put a value into SQL. */
export type QueryParams = Record<string, unknown>;

/**
 * A statement or a fragment of one: its text, its typed parameters, and the settings it needs to run as
 * written (withSettings), which follow the fragment into every statement that includes it.
 */
export type Sql = { query: string; params: QueryParams; settings?: ClickHouseSettings };

/** `q` with `settings` it needs wherever it is included (queryRows and execute put them in the statement's SETTINGS clause). */
export function withSettings(q: Sql, settings: ClickHouseSettings): Sql {
  return { ...q, settings: { ...q.settings, ...settings } };
}

/**
 * Tagged template for read SQL: every `${value}` must be a typed placeholder built with `param()`,
 * or a fragment explicitly marked `raw()` / a nested `sql`. A bare value is refused, so the safe way
 * is the short way (HyperDX's chSql idea).
 */
export class Param {
  constructor(readonly name: string, readonly type: string, readonly value: unknown) {}
}
export class Raw {
  constructor(readonly text: string) {}
}
export const param = (name: string, type: string, value: unknown) => new Param(name, type, value);
/** A fragment of SQL text that is not a value (an identifier list, a keyword). Say why at the call site. */
export const raw = (text: string) => new Raw(text);

export function sql(strings: TemplateStringsArray, ...parts: Array<Param | Raw | Sql>): Sql {
  let query = strings[0];
  const params: QueryParams = {};
  let settings: ClickHouseSettings | undefined;
  // one name, one value, however deeply nested (the same array or tuple built twice is the same value)
  const bind = (name: string, value: unknown) => {
    if (name in params && params[name] !== value && JSON.stringify(params[name]) !== JSON.stringify(value)) throw new Error(`parameter ${name} bound twice`);
    params[name] = value;
  };
  parts.forEach((part, i) => {
    if (part instanceof Param) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(part.name)) throw new Error(`bad parameter name ${part.name}`);
      bind(part.name, part.value);
      query += `{${part.name}:${part.type}}`;
    } else if (part instanceof Raw) {
      query += part.text;
    } else if (part && typeof part === 'object' && 'query' in part && 'params' in part) {
      for (const [name, value] of Object.entries(part.params)) bind(name, value);
      for (const [name, value] of Object.entries(part.settings ?? {})) {
        if (settings && name in settings && (settings as Record<string, unknown>)[name] !== value) throw new Error(`setting ${name} asked twice with different values`);
        settings = { ...settings, [name]: value };
      }
      query += part.query;
    } else {
      throw new Error('sql``: interpolate param(), raw() or sql`` only, never a bare value');
    }
    query += strings[i + 1];
  });
  return settings ? { query, params, settings } : { query, params };
}

/**
 * Reads go first on the embedded store. chDB runs one statement at a time per process, so an insert that
 * starts while a page is being answered holds every query of that page up for the whole insert. Reads
 * mark themselves here, and background writers (the ingest writers: insertRows with `background`) start
 * an insert only once reads have been quiet
 * for READ_QUIET_MS (the next query of the same page usually follows within that), waiting at most
 * WRITER_MAX_WAIT_MS per insert, so ingest slows while people read but never stops.
 */
const READ_QUIET_MS = 25;
const WRITER_MAX_WAIT_MS = 250;
const reads = { active: 0, lastEnded: 0 };

async function letReadsGoFirst(): Promise<void> {
  const deadline = Date.now() + WRITER_MAX_WAIT_MS;
  while (Date.now() < deadline && (reads.active > 0 || Date.now() - reads.lastEnded < READ_QUIET_MS)) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Node's codes for a server that is not (yet) there: worth waiting for, unlike a wrong password. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

/** The store did not answer at all (server mode: ClickHouse down, restarting or unreachable). */
export function isUnreachable(e: unknown): boolean {
  const err = e as { code?: unknown; cause?: { code?: unknown }; message?: unknown };
  const code = String(err?.code ?? err?.cause?.code ?? '');
  return UNREACHABLE.has(code) || /socket hang up|Timeout error/i.test(String(err?.message ?? ''));
}

/** Run a read query and return its rows. `tag` lands in system.query_log.log_comment. */
export async function queryRows<T>(store: Store, tag: string, q: Sql): Promise<T[]> {
  reads.active++;
  try {
    const rs = await store.client.query({
      query: statementText(q),
      query_params: q.params,
      format: 'JSONEachRow',
      clickhouse_settings: { log_comment: tag },
    });
    return await rs.json<T>();
  } finally {
    reads.active--;
    reads.lastEnded = Date.now();
  }
}

/** Run DDL or another statement without rows. */
export async function command(store: Store, query: string, settings: ClickHouseSettings = {}): Promise<void> {
  await store.client.command({ query, clickhouse_settings: settings });
}

/** Run a statement without rows (INSERT … SELECT) with typed parameters. */
export async function execute(store: Store, tag: string, q: Sql): Promise<void> {
  await store.client.command({ query: statementText(q), query_params: q.params, clickhouse_settings: { log_comment: tag } });
}

/**
 * The statement's text with the settings its fragments asked for (withSettings) in its own trailing
 * SETTINGS clause, added to one it already ends with. Not `clickhouse_settings`: chdb's connection turns
 * those into session `SET`s that outlive the statement (see insertRows), so one view's settings would
 * leak into every later read on that connection.
 */
export function statementText(q: Sql): string {
  const entries = Object.entries(q.settings ?? {});
  if (entries.length === 0) return q.query;
  const clause = entries
    .map(([name, value]) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad setting name ${name}`);
      // settings are constants of the code, never values from a request; strings quoted all the same
      const text = typeof value === 'number' ? String(value) : typeof value === 'boolean' ? (value ? '1' : '0') : `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      return `${name} = ${text}`;
    })
    .join(', ');
  const body = q.query.trimEnd();
  // a SETTINGS clause of the statement itself is its last clause: nothing after it opens a parenthesis
  return /\bSETTINGS\s[^()]*$/.test(body) ? `${body}, ${clause}` : `${body}\nSETTINGS ${clause}`;
}

const IDENT = /^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Insert pre-serialized rows: JSONCompactEachRow (one JSON array per line, in `columns` order) when
 * columns are given, else JSONEachRow. Settings go in the statement's own SETTINGS clause: on chDB a
 * session-level SET would outlive the statement (a later insert would inherit this one's
 * deduplication token), and it is also much slower there, as the SET prefix makes the engine lex the
 * whole body as SQL. The deduplication token is always given, so a retried batch is stored once.
 * `optimize_on_insert = 0`: the engine does not collapse a batch's repeated sort keys while writing it
 * (≈ 7 % of the insert's CPU here); every read is duplicate-proof anyway, since repeats across batches
 * exist until a merge.
 */
export async function insertRows(
  store: Store,
  table: string,
  columns: readonly string[] | null,
  body: string | string[],
  dedupToken: string,
  opts: { background?: boolean } = {},
): Promise<void> {
  if (!IDENT.test(table)) throw new Error(`bad table name ${table}`);
  if (columns && !columns.every((c) => IDENT.test(c))) throw new Error(`bad column list for ${table}`);
  if (!/^[A-Za-z0-9_.:/#|-]+$/.test(dedupToken)) throw new Error('deduplication token must be [A-Za-z0-9_.:/#|-]');
  const chunks = typeof body === 'string' ? [body] : body;
  const target = columns ? `${table} (${columns.join(', ')})` : table;
  if (opts.background && store.backend === 'chdb') await letReadsGoFirst();
  const format = columns ? 'JSONCompactEachRow' : 'JSONEachRow';
  const result = await store.client.exec({
    query: `INSERT INTO ${target} SETTINGS insert_deduplicate = 1, insert_deduplication_token = '${dedupToken}', async_insert = 0, optimize_on_insert = 0, log_comment = 'insert:${table}' FORMAT ${format}`,
    values: Readable.from(chunks),
  });
  result.stream.resume();
  await new Promise<void>((resolve, reject) => {
    result.stream.on('end', resolve).on('close', resolve).on('error', reject);
  });
}

async function createChdbStore(dataDir: string, database: string): Promise<Store> {
  // chdb types its Connection against @clickhouse/client-common, which @clickhouse/client 1.23 bundles
  // as a private copy: the shapes are the same (tests/store.test.ts runs every call through it).
  const connection = createChdbConnection({ path: dataDir }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection });
  // chDB has no per-request database: each connection is a session, so select it once here.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({ query: `USE ${database}` });
  return { backend: 'chdb', database, client, close: () => client.close() };
}

function createServerStore(cfg: Extract<Config['store'], { kind: 'server' }>, database: string, withDatabase: boolean): Store {
  const client = createClient({
    url: cfg.url,
    username: cfg.user,
    password: cfg.password,
    database: withDatabase ? database : undefined,
    request_timeout: 60_000,
    // every failure reaches the caller, which says what it means once (a writer's retry, a route's 503):
    // the client's own error log would print an 18-line block per failed attempt during an outage, and
    // ClickHouse's error text, which can quote refused data, to the console
    log: { level: ClickHouseLogLevel.OFF },
  });
  return { backend: 'server', database, client, close: () => client.close() };
}

/**
 * Open a store connection. Give reads and writes their own (`purpose`): operations on one chDB
 * connection queue behind each other, while two connections to one folder run side by side.
 */
export async function openStore(config: Config, _purpose: 'read' | 'write' | 'admin' = 'read'): Promise<Store> {
  if (config.store.kind === 'embedded') return createChdbStore(config.store.dataDir, config.database);
  return createServerStore(config.store, config.database, _purpose !== 'admin');
}
