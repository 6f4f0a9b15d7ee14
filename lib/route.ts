// The shape of every /api/v1 read route (after Umami): parse the request against a schema (400 with
// the reasons), resolve who is asking and which plants they may see (401/403), call one query module,
// answer JSON — or CSV with `format=csv`, from the same rows, so the page, the API and the export
// always agree.
import { stringify } from 'csv-stringify/sync';
import type { z } from 'zod';
import { getReadStore } from '../clickhouse/shared';
import type { Store } from '../clickhouse/client';
import { BadRequest, parseFilters, problemsOf, ALL_PLANTS, type Filters, type Scope } from '../queries/filters';

export type ReadContext<P> = { store: Store; filters: Filters; scope: Scope; params: P; search: URLSearchParams };

type Listing = { items: object[] };

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

/**
 * Resolve the caller's plant scope. Sign-in and tokens arrive with the access-control work; until
 * then every caller sees every plant. Every query already takes the scope, so the limit applies
 * inside the SQL the moment this returns one.
 */
async function resolveScope(_request: Request): Promise<Scope> {
  return ALL_PLANTS;
}

export function readRoute<S extends z.ZodType, R>(opts: {
  name: string;
  params?: S;
  run: (ctx: ReadContext<z.infer<S>>) => Promise<R | null>;
  /** Rows for `format=csv`; by default the response's items. */
  csvRows?: (result: R) => object[];
}) {
  return async function GET(request: Request): Promise<Response> {
    const search = new URL(request.url).searchParams;
    try {
      const scope = await resolveScope(request);
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
      const store = await getReadStore();
      const result = await opts.run({ store, filters, scope, params, search });
      if (result === null) return json({ error: 'not found' }, 404);
      if (format === 'csv') {
        const rows = opts.csvRows ? opts.csvRows(result) : (result as unknown as Listing).items;
        return new Response(toCsv(rows), {
          headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="plantline-${opts.name}.csv"`, 'cache-control': 'no-store' },
        });
      }
      return json(result);
    } catch (e) {
      if (e instanceof BadRequest) return json({ error: 'bad request', problems: e.problems }, 400);
      console.error(`[api] ${opts.name} failed:`, (e as Error).message);
      return json({ error: 'the query failed; try again, or narrow the time range' }, 500);
    }
  };
}
