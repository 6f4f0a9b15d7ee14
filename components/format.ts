// How Plantline writes numbers, durations and times: always en-US digits and UTC (the contract's time
// zone), so the server's and the browser's text agree and a screenshot reads the same anywhere.
import { format } from 'date-fns';
import { parseInstant } from '../lib/instant';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const qty = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const fmtInt = (n: number | null | undefined) => (n === null || n === undefined ? '—' : int.format(n));
export const fmtQty = (n: number | null | undefined) => (n === null || n === undefined ? '—' : qty.format(n));
export const fmtSigned = (n: number | null | undefined) => (n === null || n === undefined ? '—' : `${n > 0 ? '+' : ''}${qty.format(n)}`);
export const fmtMoney = (n: number | null | undefined) => (n === null || n === undefined ? '—' : money.format(n));
export const fmtPct = (r: number | null | undefined, digits = 1) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(digits)}%`);

/** 850 ms, 12.4 s, 25 min, 1 h 5 min, 2 d 3 h */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const a = Math.abs(ms);
  const sign = ms < 0 ? '−' : '';
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  const s = Math.round(a / 1000);
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = s % 60;
    return `${sign}${m} min${rest ? ` ${rest} s` : ''}`;
  }
  const m = Math.round(s / 60);
  if (m < 24 * 60) return `${sign}${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const h = Math.round(m / 60);
  return `${sign}${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

export const fmtAge = (seconds: number | null | undefined) => (seconds === null || seconds === undefined ? '—' : fmtDuration(seconds * 1000));

/** A Date whose local fields are the UTC fields of `d`, for date-fns patterns. */
function utcFields(d: Date): Date {
  return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** Format an instant in UTC with a date-fns pattern. */
export function fmtUtc(t: string | Date | null | undefined, pattern = 'MMM d, HH:mm:ss'): string {
  if (!t) return '—';
  const d = typeof t === 'string' ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) return String(t);
  return format(utcFields(d), pattern);
}

/** "Nov 3, 08:00:30" with the year only when it is not the reference's year. */
export function fmtWhen(t: string | null | undefined, reference: Date): string {
  if (!t) return '—';
  const d = new Date(t);
  return fmtUtc(d, d.getUTCFullYear() === reference.getUTCFullYear() ? 'MMM d, HH:mm:ss' : 'yyyy-MM-dd HH:mm:ss');
}

/** `datetime-local` input value (UTC) ⇄ ISO-8601 */
export const toInputValue = (iso: string | null | undefined) => {
  // a time the URL got wrong (the page itself names the problem) leaves the input empty
  const d = iso ? parseInstant(iso) : null;
  return d instanceof Date ? d.toISOString().slice(0, 16) : '';
};
export const fromInputValue = (v: string) => (v ? new Date(`${v.length === 16 ? `${v}:00` : v}Z`).toISOString().replace('.000Z', 'Z') : '');

export const FLOW_LABELS: Record<string, string> = {
  order_release: 'Order release',
  production_confirmation: 'Production confirmation',
  material_issue: 'Material issue',
  goods_receipt: 'Goods receipt',
  scrap: 'Scrap',
  inventory_transfer: 'Inventory transfer',
  quality_hold: 'Quality hold',
  shipment: 'Shipment',
};
export const flowLabel = (flow: string) => FLOW_LABELS[flow] ?? flow;

export const CATEGORY_LABELS: Record<string, string> = {
  master_data: 'Master data',
  period_closed: 'Period closed',
  validation: 'Validation',
  lock_conflict: 'Lock conflict',
  timeout: 'Timeout',
  authorization: 'Authorization',
  duplicate: 'Duplicate',
  unknown: 'Unknown',
};
export const categoryLabel = (c: string) => CATEGORY_LABELS[c] ?? c;

/** "1st", "2nd", "3rd", "4th", "11th", "21st". */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${fmtInt(n)}${suffix}`;
}

/**
 * Which of n latencies, counted from the slowest, an exact quantile is (queries/getLatency.ts: ClickHouse's
 * quantileExact takes the value at 0-based position ⌊level × n⌋ of the sorted latencies): the row of
 * a slowest-first list that holds it.
 */
export const slowestRank = (level: number, n: number) => n - Math.min(Math.floor(level * n), n - 1);

/** The offset of the page of `pageSize` rows that holds the rank-th row (1-based). */
export const pageOffsetOf = (rank: number, pageSize: number) => Math.floor((Math.max(rank, 1) - 1) / pageSize) * pageSize;
