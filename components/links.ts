// Links that keep the view: the filters every page shares live in the URL (so a link shows a colleague
// the same view), and every link from one page to another carries them. Pure: used on the server and
// in the browser.

/** URL parameters shared by all pages: time range (preset or custom), as-of instant, plants, flows. */
export const VIEW_KEYS = ['range', 'from', 'to', 'at', 'plant', 'flow'] as const;

export const RANGE_PRESETS = [
  { key: '1h', label: '1h', ms: 3600_000 },
  { key: '24h', label: '24h', ms: 24 * 3600_000 },
  { key: '7d', label: '7d', ms: 7 * 24 * 3600_000 },
  { key: '30d', label: '30d', ms: 30 * 24 * 3600_000 },
] as const;
export const DEFAULT_RANGE = '24h';

/** The pages of the header, with the permission each needs (lib/auth/policy.ts). */
export const PAGES = [
  { path: '/', label: 'Overview', permission: 'view:kpi' },
  { path: '/flows', label: 'Flows', permission: 'view:flows' },
  { path: '/failed-releases', label: 'Failed releases', permission: 'view:exceptions' },
  { path: '/exceptions', label: 'Exceptions', permission: 'view:exceptions' },
  { path: '/sla', label: 'SLA', permission: 'view:kpi' },
  { path: '/latency', label: 'Latency', permission: 'view:kpi' },
  { path: '/inventory', label: 'Inventory', permission: 'view:inventory' },
  { path: '/search', label: 'Search', permission: 'view:transactions' },
] as const;

/** The permission the page at `href` needs (the header's pages, plant pages, transactions), or null. */
export function pagePermission(href: string): (typeof PAGES)[number]['permission'] | 'view:transactions' | null {
  const path = href.split(/[?#]/)[0];
  if (path === '/tx' || path.startsWith('/tx/') || path === '/transactions') return 'view:transactions';
  const page = PAGES.find((p) => (p.path === '/' ? path === '/' : path === p.path || path.startsWith(`${p.path}/`)));
  return page?.permission ?? null;
}

export type ParamValue = string | readonly string[] | null | undefined;

/**
 * `path` with the shared view parameters of `current` (or only those in `keep`), then `overrides`
 * applied: a string sets, a list sets several values, null/undefined removes.
 */
export function hrefWith(path: string, current: URLSearchParams, overrides: Record<string, ParamValue> = {}, keep: readonly string[] = VIEW_KEYS): string {
  const next = new URLSearchParams();
  for (const [k, v] of current) if (keep.includes(k)) next.append(k, v);
  for (const [k, v] of Object.entries(overrides)) {
    next.delete(k);
    if (v === null || v === undefined) continue;
    for (const one of typeof v === 'string' ? [v] : v) next.append(k, one);
  }
  const qs = next.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The link to a transaction's page, at the same instant. */
export function txHref(correlationId: string, current: URLSearchParams): string {
  return hrefWith(`/tx/${encodeURIComponent(correlationId)}`, current, {}, ['at']);
}

/** Values of a parameter that may be repeated or comma-separated (`plant=P01&plant=P02`, `plant=P01,P02`). */
export function listParam(params: URLSearchParams, key: string): string[] {
  return params.getAll(key).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
