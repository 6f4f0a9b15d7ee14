// The one way Plantline talks to ClickHouse: @clickhouse/client, over HTTP to a server or cluster, or
// in-process to chDB through chdb's experimental `createClient({ connection })` hook. Same SQL either way.
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
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

export type Sql = { query: string; params: QueryParams };

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
  parts.forEach((part, i) => {
    if (part instanceof Param) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(part.name)) throw new Error(`bad parameter name ${part.name}`);
      if (part.name in params && params[part.name] !== part.value) throw new Error(`parameter ${part.name} bound twice`);
      params[part.name] = part.value;
      query += `{${part.name}:${part.type}}`;
    } else if (part instanceof Raw) {
      query += part.text;
    } else if (part && typeof part === 'object' && 'query' in part && 'params' in part) {
      Object.assign(params, part.params);
      query += part.query;
    } else {
      throw new Error('sql``: interpolate param(), raw() or sql`` only, never a bare value');
    }
    query += strings[i + 1];
  });
  return { query, params };
}

/** Run a read query and return its rows. `tag` lands in system.query_log.log_comment. */
export async function queryRows<T>(store: Store, tag: string, q: Sql, settings: ClickHouseSettings = {}): Promise<T[]> {
  const rs = await store.client.query({
    query: q.query,
    query_params: q.params,
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: tag, ...settings },
  });
  return rs.json<T>();
}

/** Run DDL or another statement without rows. */
export async function command(store: Store, query: string, settings: ClickHouseSettings = {}): Promise<void> {
  await store.client.command({ query, clickhouse_settings: settings });
}

/**
 * Insert pre-serialized JSONEachRow text. The deduplication token is always set: on chDB a SET
 * outlives the statement, so an insert without its own token would inherit the previous one.
 */
export async function insertJsonEachRow(
  store: Store,
  table: string,
  body: string | string[],
  dedupToken: string,
): Promise<void> {
  if (!/^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`bad table name ${table}`);
  const chunks = typeof body === 'string' ? [body] : body;
  const result = await store.client.exec({
    query: `INSERT INTO ${table} FORMAT JSONEachRow`,
    values: Readable.from(chunks),
    clickhouse_settings: {
      insert_deduplication_token: dedupToken,
      insert_deduplicate: 1,
      async_insert: 0,
      date_time_input_format: 'best_effort',
      input_format_skip_unknown_fields: 0,
      log_comment: `insert:${table}`,
    },
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
