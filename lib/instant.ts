// Instants in URLs (from, to, at, as_of): parsed the same way by the API, the pages and their inputs,
// whatever the server's or the browser's time zone. No imports: client components use it too.

/** The instants a view can be asked about: what the store's DateTime64 columns hold. */
export const INSTANT_RANGE = { from: Date.UTC(1900, 0, 1), to: Date.UTC(2300, 0, 1) };

const INSTANT_FORMAT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An instant from a URL: `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or
 * an offset; without one it is UTC (the contract's times are UTC, whatever the server's time zone).
 * A date the calendar does not have (2026-02-30, 24:00) or one outside 1900–2299 is a problem named in
 * words, not a date rolled over: the answer is the problem, or the instant.
 */
export function parseInstant(s: string): Date | string {
  const m = INSTANT_FORMAT.exec(s);
  if (!m) return 'expected an ISO-8601 time in UTC, e.g. 2026-11-03T14:05:00Z';
  const [, y, mo, d, h = '00', mi = '00', sec = '00', fraction = '', offset = 'Z'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, sec].map(Number);
  const outOfRange = 'expected a time from 1900-01-01 to 2299-12-31';
  // (before Date.UTC, which reads years 0–99 as 1900–1999)
  if (year < 1900 || year > 2299) return outOfRange;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const back = new Date(local);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return `${s} is not a time the calendar has`;
  }
  let shift = 0;
  if (offset !== 'Z') {
    const [oh, om] = offset.slice(1).split(':').map(Number);
    if (oh > 23 || om > 59) return `${offset} is not a UTC offset`;
    shift = (offset[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const t = local - shift;
  if (t < INSTANT_RANGE.from || t >= INSTANT_RANGE.to) return outOfRange;
  return new Date(t);
}

/** Offsets a cursor may carry: beyond ten million rows nobody pages. */
const MAX_CURSOR_OFFSET = 10_000_000;

/**
 * A list's cursor (queries/filters.ts cursorFor: base64url of `o:<offset>` and, since cursors hold it,
 * `:a:<ms>`, the instant the list was computed for), or null for a text no page returned. No Buffer:
 * the browser reads it too.
 */
export function parseCursor(cursor: string | null | undefined): { offset: number; at: Date | null } | null {
  if (!cursor || !/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return null;
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  const m = /^o:(\d{1,8})(?::a:(-?\d{1,15}))?$/.exec(text);
  if (!m || Number(m[1]) > MAX_CURSOR_OFFSET) return null;
  if (m[2] === undefined) return { offset: Number(m[1]), at: null };
  const t = Number(m[2]);
  return t >= INSTANT_RANGE.from && t < INSTANT_RANGE.to ? { offset: Number(m[1]), at: new Date(t) } : null;
}

/** The instant a list's cursor carries, or null (an older cursor without one, or not a cursor). */
export function cursorInstant(cursor: string | null | undefined): Date | null {
  return parseCursor(cursor)?.at ?? null;
}
