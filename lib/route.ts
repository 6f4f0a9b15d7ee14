// The shape of every /api/v1 read route (after Umami): parse the request against a schema (400 with
// the reasons), resolve who is asking and which plants they may see (401/403), call one query module,
// answer JSON — or CSV with `format=csv`, from the same rows, so the page, the API and the export
// always agree.
import { stringify } from 'csv-stringify/sync';
import type { z } from 'zod';
import { getReadStore } from '../clickhouse/shared';
import { isUnreachable, type Store } from '../clickhouse/client';
import { BadRequest, parseFilters, problemsOf, type Filters, type Scope } from '../queries/filters';
import { can, type Permission, type Principal } from './auth/policy';
import { resolvePrincipal } from './auth/principal';
import { CLIENT_HEADER } from './clientAddress';

export type ReadContext<P> = { store: Store; filters: Filters; scope: Scope; params: P; search: URLSearchParams; principal: Principal };

class Denied extends Error {
  constructor(readonly status: 401 | 403, message: string) {
    super(message);
  }
}

/** 401 without valid credentials, 403 without the permission; else the caller and their plant scope. */
export async function authorize(store: Store, request: Request, permission: Permission): Promise<Principal> {
  const principal = await resolvePrincipal(store, request);
  if (!principal) throw new Denied(401, 'sign in, or send Authorization: Bearer <API token>');
  if (!can(principal, permission)) throw new Denied(403, `the ${principal.role} role may not do this (needs ${permission})`);
  return principal;
}

type Listing = { items: object[]; next_cursor?: string | null };

/** The most rows one CSV export holds; past it the export asks for narrower filters. */
export const EXPORT_MAX_ROWS = 200_000;

/**
 * A listing's CSV export: every row its filters select, not one page. It is read a page at a time from
 * the first row (the request's `limit` is the page size; its cursor does not apply) until the listing
 * ends; over EXPORT_MAX_ROWS it is refused, naming the limit, rather than cut short. A result that is no
 * listing (no `next_cursor`) is its own rows.
 */
async function everyRow(run: (f: Filters) => Promise<unknown>, filters: Filters): Promise<object[] | null> {
  const rows: object[] = [];
  for (let offset = 0; ; offset += filters.limit) {
    const page = (await run({ ...filters, offset })) as Listing | null;
    if (page === null) return null;
    rows.push(...page.items);
    if (!page.next_cursor || page.items.length === 0) return rows;
    if (rows.length >= EXPORT_MAX_ROWS) {
      throw new BadRequest([`format=csv: more than ${EXPORT_MAX_ROWS.toLocaleString('en-US')} rows; narrow the time range, plants or flows`]);
    }
  }
}

function csvResponse(rows: object[], name: string): Response {
  return new Response(toCsv(rows), {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="plantline-${name}.csv"`, 'cache-control': 'no-store' },
  });
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } });
}

/** Rows → CSV text: a header from the first row's keys; arrays joined with ';', objects as JSON. */
export function toCsv(rows: object[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]);
  const cells = rows.map((r) =>
    columns.map((c) => {
      const v = (r as Record<string, unknown>)[c];
      if (v === null || v === undefined) return '';
      if (Array.isArray(v)) return v.join(';');
      if (typeof v === 'object') return JSON.stringify(v);
      return v as string | number | boolean;
    }),
  );
  return stringify([columns, ...cells]);
}

/** ClickHouse did not answer (server mode: down or restarting): 503 with Retry-After, not a failed query. */
function storeDown(name: string, e: unknown): Response {
  console.error(`[api] ${name}: ClickHouse does not answer (${(e as { code?: string }).code ?? (e as Error).message})`);
  return json({ error: 'the store (ClickHouse) does not answer; try again in a moment' }, 503, { 'retry-after': '5' });
}

export function readRoute<S extends z.ZodType, R>(opts: {
  name: string;
  /** What the caller must be allowed to do (lib/auth/policy.ts). */
  permission: Permission;
  params?: S;
  run: (ctx: ReadContext<z.infer<S>>) => Promise<R | null>;
  /** Rows for `format=csv`; by default the response's items. */
  csvRows?: (result: R) => object[];
}) {
  return async function GET(request: Request): Promise<Response> {
    const search = new URL(request.url).searchParams;
    try {
      const store = await getReadStore();
      const principal = await authorize(store, request, opts.permission);
      // the plant limit of the caller goes into every query's SQL, not only into the menu
      const scope: Scope = { plants: principal.plants };
      const filters = parseFilters(search);
      let params = {} as z.infer<S>;
      if (opts.params) {
        const own = Object.fromEntries([...search.entries()].filter(([k]) => !['plant', 'flow', 'from', 'to', 'at', 'limit', 'cursor', 'format'].includes(k)));
        const parsed = opts.params.safeParse(own);
        if (!parsed.success) throw new BadRequest(problemsOf(parsed.error));
        params = parsed.data;
      }
      const format = search.get('format') ?? 'json';
      if (format !== 'json' && format !== 'csv') throw new BadRequest([`format: expected json or csv, got ${JSON.stringify(format)}`]);
      const ctx = { store, filters, scope, params, search, principal };
      if (format === 'csv' && !opts.csvRows) {
        const rows = await everyRow((f) => opts.run({ ...ctx, filters: f }), filters);
        if (rows === null) return json({ error: 'not found' }, 404);
        return csvResponse(rows, opts.name);
      }
      const result = await opts.run(ctx);
      if (result === null) return json({ error: 'not found' }, 404);
      if (format === 'csv') return csvResponse(opts.csvRows!(result), opts.name);
      return json(result);
    } catch (e) {
      if (e instanceof Denied) return json({ error: e.message }, e.status);
      if (e instanceof BadRequest) return json({ error: 'bad request', problems: e.problems }, 400);
      if (isUnreachable(e)) return storeDown(opts.name, e);
      console.error(`[api] ${opts.name} failed:`, (e as Error).message);
      return json({ error: 'the query failed; try again, or narrow the time range' }, 500);
    }
  };
}

/**
 * A state-changing route: the same checks, plus CSRF protection for cookie sessions (the request must
 * come from this site's own pages: its Origin must be this host), a JSON body parsed against a schema,
 * and the handler's own audit entry.
 */
export function actionRoute<S extends z.ZodType>(opts: {
  name: string;
  permission: Permission;
  body?: S;
  run: (ctx: { store: Store; principal: Principal; body: z.infer<S>; request: Request; ip: string }) => Promise<{ status?: number; body: unknown }>;
}) {
  return async function handler(request: Request): Promise<Response> {
    try {
      const store = await getReadStore();
      const principal = await authorize(store, request, opts.permission);
      if (!request.headers.get('authorization')) {
        const origin = request.headers.get('origin');
        const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
        if (!origin || !host || new URL(origin).host !== host) throw new Denied(403, 'cross-site request refused (CSRF): send it from Plantline\'s pages or with an API token');
      }
      let body = {} as z.infer<S>;
      if (opts.body) {
        let raw: unknown;
        try {
          raw = await request.json();
        } catch {
          throw new BadRequest(['body: expected a JSON object']);
        }
        const parsed = opts.body.safeParse(raw);
        if (!parsed.success) throw new BadRequest(problemsOf(parsed.error));
        body = parsed.data;
      }
      const ip = request.headers.get(CLIENT_HEADER) ?? '';
      const result = await opts.run({ store, principal, body, request, ip });
      return json(result.body, result.status ?? 200);
    } catch (e) {
      if (e instanceof Denied) return json({ error: e.message }, e.status);
      if (e instanceof BadRequest) return json({ error: 'bad request', problems: e.problems }, 400);
      if (isUnreachable(e)) return storeDown(opts.name, e);
      console.error(`[api] ${opts.name} failed:`, (e as Error).message);
      return json({ error: 'the request failed; nothing was changed' }, 500);
    }
  };
}
