// The filters every view shares (CONTRACT §4): plant, flow, from/to (transactions by occurred_at),
// at (the instant the answer is computed for), limit and cursor; and the viewer's plant scope, which
// is applied inside every query. Parsed once from URL parameters, so pages, the API and exports
// read the same filters the same way.
import { z } from 'zod';
import { FLOWS } from '../lib/contract';
import { param, raw, sql, type Sql } from '../clickhouse/client';
import { parseCursor, parseInstant } from '../lib/instant';

export { parseInstant };

/** The plants a viewer may see: null for all. Applied in SQL, never only in the menu. */
export type Scope = { plants: string[] | null };
export const ALL_PLANTS: Scope = { plants: null };

export type Filters = {
  plants: string[];
  flows: string[];
  from: Date;
  to: Date;
  at: Date;
  limit: number;
  offset: number;
};

const DAY_MS = 24 * 3600 * 1000;

const list = (name: string, item: z.ZodType<string, string>) =>
  z
    .array(z.string())
    .transform((values) => values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(item).max(100, `${name}: at most 100 values`));

/**
 * A page's own parameter that takes one value or several, comma-separated (`status=posted,failed`): the
 * distinct values, in the order of `values`. A parameter given twice is refused (repeatedParams), so a list is
 * one value with commas.
 */
export function oneOrMore<T extends string>(values: readonly [T, ...T[]]) {
  return z.string().transform((s, ctx) => {
    const given = [...new Set(s.split(',').map((v) => v.trim()).filter(Boolean))];
    const unknown = given.filter((v) => !(values as readonly string[]).includes(v));
    if (given.length === 0 || unknown.length) {
      const what = given.length === 0 ? 'nothing given' : `${unknown.map((v) => JSON.stringify(v)).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not one of them`;
      ctx.addIssue({ code: 'custom', message: `expected one or more of ${values.join(', ')}, comma-separated: ${what}` });
      return z.NEVER;
    }
    // in the list's own order, so one selection is one text (a link, the page's menu)
    return (values as readonly string[]).filter((v) => given.includes(v)) as T[];
  });
}

/** A zod string parsed by parseInstant, its problem as the issue's message. */
export const instant = z.string().transform((s, ctx) => {
  const parsed = parseInstant(s);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** A list's page when the request names no `limit`. */
export const DEFAULT_LIMIT = 100;

export const filtersSchema = z.object({
  plant: list('plant', z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'expected a plant code (letters, digits, _ . -, at most 32)')),
  flow: list('flow', z.enum(FLOWS)),
  from: instant.optional(),
  to: instant.optional(),
  at: instant.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(DEFAULT_LIMIT),
  cursor: z
    .string()
    .transform((c, ctx) => {
      const cursor = parseCursor(c);
      if (!cursor) {
        ctx.addIssue({ code: 'custom', message: 'expected a cursor returned by a previous page' });
        return z.NEVER;
      }
      return cursor;
    })
    .optional(),
});

export class BadRequest extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Turn zod issues into sentences that name the parameter. */
export function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`);
}

/** Parameters that are lists (`plant=P01&plant=P02`); any other given twice is a problem, not a guess. */
const LIST_PARAMS = new Set(['plant', 'flow']);

/** The problems of parameters given more than once (other than the lists). */
export function repeatedParams(params: URLSearchParams): string[] {
  const seen = new Map<string, number>();
  for (const k of params.keys()) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen].filter(([k, n]) => n > 1 && !LIST_PARAMS.has(k)).map(([k, n]) => `${k}: given ${n} times; give it once`);
}

/**
 * Read the common filters from URL parameters (the endpoint's own are parsed by its route). Every
 * parameter but the lists must be given at most once.
 */
export function parseFilters(params: URLSearchParams, now = new Date()): Filters {
  const repeated = repeatedParams(params);
  if (repeated.length) throw new BadRequest(repeated);
  const input = {
    plant: params.getAll('plant'),
    flow: params.getAll('flow'),
    from: params.get('from') ?? undefined,
    to: params.get('to') ?? undefined,
    at: params.get('at') ?? undefined,
    limit: params.get('limit') ?? undefined,
    cursor: params.get('cursor') ?? undefined,
  };
  const parsed = filtersSchema.safeParse(input);
  if (!parsed.success) throw new BadRequest(problemsOf(parsed.error));
  const f = parsed.data;
  // the next page of a list is the same list: as of the instant its first page was computed for
  const cursorAt = f.cursor?.at ?? null;
  if (cursorAt && f.at && cursorAt.getTime() !== f.at.getTime()) {
    throw new BadRequest([`cursor: it continues the list as of ${cursorAt.toISOString()}, not at=${f.at.toISOString()}; drop at or the cursor`]);
  }
  const at = f.at ?? cursorAt ?? now;
  const to = f.to ?? at;
  const from = f.from ?? new Date(to.getTime() - DAY_MS);
  if (from >= to) throw new BadRequest([`from: must be before to (${from.toISOString()} ≥ ${to.toISOString()})`]);
  if (to.getTime() - from.getTime() > 400 * DAY_MS) throw new BadRequest(['from: the range is limited to 400 days']);
  return { plants: f.plant, flows: f.flow, from, to, at, limit: f.limit, offset: f.cursor?.offset ?? 0 };
}

/** A list's cursor: the offset of a page's first row and the instant the list is computed for. */
export function cursorFor(offset: number, at: Date): string {
  return Buffer.from(`o:${offset}:a:${at.getTime()}`).toString('base64url');
}

/** The next page's cursor, or null when this page is the last (it came back short). */
export function nextCursor(f: Pick<Filters, 'offset' | 'limit' | 'at'>, returned: number): string | null {
  return returned < f.limit ? null : cursorFor(f.offset + f.limit, f.at);
}

/** A list page's LIMIT: one row more than the page, so that a full page is known to be the last or not. */
export function pageLimitSql(f: Pick<Filters, 'offset' | 'limit'>): Sql {
  return sql`LIMIT ${param('limit', 'UInt32', f.limit + 1)} OFFSET ${param('offset', 'UInt32', f.offset)}`;
}

/**
 * The page of a pageLimitSql query's rows (all but the extra one), and the next page's cursor: null when
 * no row came after the page, so a full last page offers no empty next one.
 */
export function pageOf<T>(f: Pick<Filters, 'offset' | 'limit' | 'at'>, rows: T[]): { items: T[]; next_cursor: string | null } {
  return { items: rows.slice(0, f.limit), next_cursor: rows.length > f.limit ? cursorFor(f.offset + f.limit, f.at) : null };
}

/** DateTime64(3, 'UTC') parameter text. */
export const chTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/** ISO-8601 UTC text from a ClickHouse DateTime64 value as JSON returns it ('YYYY-MM-DD HH:MM:SS.mmm'). */
export const isoFromCh = (s: string | null | undefined): string | null => (s ? `${s.replace(' ', 'T')}${s.includes('.') ? '' : '.000'}Z` : null);

/**
 * The plants and flows asked for, within the viewer's plants, on the `plant` and `flow` columns of any
 * table that has them (postings, the rollup tables, exception_actions); `table` qualifies the columns.
 */
export function keyConditions(f: Filters, scope: Scope, table = ''): Sql[] {
  const col = (name: string) => raw(table ? `${table}.${name}` : name);
  const parts: Sql[] = [];
  if (f.plants.length) parts.push(sql`${col('plant')} IN ${param('plants', 'Array(String)', f.plants)}`);
  if (f.flows.length) parts.push(sql`${col('flow')} IN ${param('flows', 'Array(String)', f.flows)}`);
  if (scope.plants) parts.push(sql`${col('plant')} IN ${param('scope_plants', 'Array(String)', scope.plants)}`);
  return parts;
}

/**
 * The WHERE conditions on `postings` for these filters and scope: transactions by occurred_at in
 * [from, to), events that exist at `at`, the plants and flows asked for, within the viewer's plants.
 */
export function postingConditions(f: Filters, scope: Scope): Sql {
  return joinSql(
    [
      sql`occurred_at >= ${param('from', "DateTime64(3, 'UTC')", chTime(f.from))}`,
      sql`occurred_at < ${param('to', "DateTime64(3, 'UTC')", chTime(f.to))}`,
      sql`reported_at <= ${param('at', "DateTime64(3, 'UTC')", chTime(f.at))}`,
      ...keyConditions(f, scope),
    ],
    ' AND ',
  );
}

export function joinSql(parts: Sql[], separator: string): Sql {
  return parts.reduce((acc, part, i) => (i === 0 ? part : sql`${acc}${raw(separator)}${part}`));
}
