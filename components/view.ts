// A page's view from its URL: the shared filters (time range preset or custom from/to, as-of `at`,
// plants, flows) resolved to the same `Filters` the /api/v1 routes parse, plus the links that keep
// them: to other pages, and to the matching /api/v1 CSV export computed for the same instant.
import { BadRequest, cursorFor, DEFAULT_LIMIT, parseFilters, repeatedParams, type Filters } from '@/queries/filters';
import { cursorInstant, parseInstant } from '@/lib/instant';
import { DEFAULT_RANGE, hrefWith, RANGE_PRESETS, type ParamValue } from './links';
import { fmtUtc, pageOffsetOf, slowestRank } from './format';

/** The page size a list's CSV export is read in (the export holds every row: lib/route.ts). */
export const EXPORT_LIMIT = '1000';

export type PageSearchParams = Record<string, string | string[] | undefined>;

export type View = {
  ok: true;
  filters: Filters;
  /** the page's own URL parameters */
  params: URLSearchParams;
  /** true when no `at` was given: the view follows the clock (auto-refresh) */
  live: boolean;
  rangeKey: string | null;
  rangeLabel: string;
  /** link to another page (or this one) keeping the shared filters */
  href(path: string, overrides?: Record<string, ParamValue>): string;
  /** the /api/v1 export of what this page shows: same plants, flows, from, to and at (lists: pass EXPORT_LIMIT) */
  csv(apiPath: string, extra?: Record<string, ParamValue>): string;
  /** the /api/v1 JSON of the same (for the API-minded) */
  api(apiPath: string, extra?: Record<string, ParamValue>): string;
  /**
   * The rows behind a latency percentile (`level` of `posted` latencies): the posted transactions (of
   * `narrow`: a plant, a flow) slowest first, at the page that holds the percentile's own transaction,
   * as of this view's instant.
   */
  slowest(narrow: Record<string, string>, level: number, posted: number): string;
};
export type ViewProblem = { ok: false; problems: string[]; params: URLSearchParams };

export function toSearchParams(sp: PageSearchParams): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(sp)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  }
  return params;
}

/**
 * Resolve the view. Without from/to the range is the preset (`range`, default 24h) ending at `at`
 * (default: now); `defaultLookbackMs` replaces the 24h default where a page looks further back (search).
 */
export function resolveView(sp: PageSearchParams, opts: { defaultLookbackMs?: number; limit?: number } = {}): View | ViewProblem {
  const params = toSearchParams(sp);
  const repeated = repeatedParams(params);
  if (repeated.length) return { ok: false, problems: repeated, params };
  const now = new Date();
  const rangeKey = params.get('range');
  const preset = RANGE_PRESETS.find((p) => p.key === rangeKey);
  if (rangeKey && !preset) return { ok: false, problems: [`range: expected one of ${RANGE_PRESETS.map((p) => p.key).join(', ')}, got ${JSON.stringify(rangeKey)}`], params };
  const custom = params.has('from') || params.has('to');

  const q = new URLSearchParams();
  for (const k of ['plant', 'flow', 'limit', 'cursor']) for (const v of params.getAll(k)) q.append(k, v);
  // a malformed `at` is reported by parseFilters below, in the API's words
  // a later page of a list continues it as of the instant its cursor carries (no `at` needed)
  const cursorAt = params.get('at') ? null : cursorInstant(params.get('cursor'));
  const given = params.get('at') ? parseInstant(params.get('at')!) : (cursorAt ?? now);
  const at = typeof given === 'string' ? now : given;
  if (params.get('at')) q.set('at', params.get('at')!);
  else if (!cursorAt) q.set('at', now.toISOString());
  if (custom) {
    if (params.get('from')) q.set('from', params.get('from')!);
    if (params.get('to')) q.set('to', params.get('to')!);
  } else {
    const ms = preset?.ms ?? opts.defaultLookbackMs ?? RANGE_PRESETS.find((p) => p.key === DEFAULT_RANGE)!.ms;
    q.set('to', at.toISOString());
    q.set('from', new Date(at.getTime() - ms).toISOString());
  }
  if (opts.limit && !q.has('limit')) q.set('limit', String(opts.limit));

  let filters: Filters;
  try {
    filters = parseFilters(q, now);
  } catch (e) {
    if (e instanceof BadRequest) return { ok: false, problems: e.problems, params };
    throw e;
  }

  const apiBase = new URLSearchParams();
  for (const p of filters.plants) apiBase.append('plant', p);
  for (const fl of filters.flows) apiBase.append('flow', fl);
  apiBase.set('from', filters.from.toISOString());
  apiBase.set('to', filters.to.toISOString());
  apiBase.set('at', filters.at.toISOString());
  const apiLink = (path: string, extra: Record<string, ParamValue>) => hrefWith(path, apiBase, extra, ['plant', 'flow', 'from', 'to', 'at']);

  const preLabel = preset ? preset.label : opts.defaultLookbackMs ? `${Math.round(opts.defaultLookbackMs / 86_400_000)}d` : DEFAULT_RANGE;
  const rangeLabel = custom
    ? `${fmtUtc(filters.from, 'MMM d, HH:mm')} – ${fmtUtc(filters.to, 'MMM d, HH:mm')} UTC`
    : `${preLabel} to ${fmtUtc(filters.to, 'MMM d, HH:mm')} UTC`;

  return {
    ok: true,
    filters,
    params,
    live: !params.get('at') && !cursorAt,
    rangeKey: custom ? null : (preset?.key ?? (opts.defaultLookbackMs ? null : DEFAULT_RANGE)),
    rangeLabel,
    href: (path, overrides = {}) => hrefWith(path, params, overrides),
    csv: (path, extra = {}) => apiLink(path, { ...extra, format: 'csv' }),
    api: (path, extra = {}) => apiLink(path, extra),
    slowest: (narrow, level, posted) => {
      const offset = pageOffsetOf(slowestRank(level, posted), DEFAULT_LIMIT);
      return hrefWith('/transactions', params, { ...narrow, status: 'posted', sort: 'latency', cursor: offset > 0 ? cursorFor(offset, filters.at) : null });
    },
  };
}

/**
 * Previous/next page links of a list, from the API's cursor (which holds the offset and the instant the
 * list was computed for). A live view's later pages carry no `at`: the cursor keeps them on the list as
 * first read, while links from them (a transaction, another page) stay live; a pinned view keeps its `at`.
 */
export function pageLinks(view: View, nextCursorValue: string | null): { prev: string | null; next: string | null } {
  const { offset, limit } = view.filters;
  const prevOffset = Math.max(0, offset - limit);
  const here = view.params;
  const keep = [...here.keys()];
  const pinned = here.get('at') !== null;
  // back to the first page: without a cursor when `at` pins the view, else offset 0 at the list's instant
  const prevCursor = prevOffset === 0 && pinned ? null : cursorFor(prevOffset, view.filters.at);
  const prev = offset > 0 ? hrefWith('', here, { cursor: prevCursor }, keep) || '?' : null;
  const next = nextCursorValue ? hrefWith('', here, { cursor: nextCursorValue }, keep) : null;
  return { prev, next };
}
