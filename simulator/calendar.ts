// Time in the simulated world: milliseconds since the epoch (UTC) everywhere inside, ISO-8601 with a Z
// on the wire; plant-local shift times through each plant's fixed UTC offset; and the ERP's fiscal
// posting periods (calendar months), which close at month end and may be reopened for one plant.

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const iso = (ms: number): string => new Date(ms).toISOString();
export const floorHour = (ms: number): number => Math.floor(ms / HOUR) * HOUR;
export const ceilHour = (ms: number): number => Math.ceil(ms / HOUR) * HOUR;

/** `YYYY-MM` of an instant, UTC: the contract's default posting period. */
export function periodOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export function previousPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** First instant of the month after `period` (UTC). */
export function periodEnd(period: string): number {
  const [y, m] = period.split('-').map(Number);
  return Date.UTC(y, m, 1);
}

/** Hour of the week (0 = Sunday 00:00) and weekday in a plant's local time. */
export function localWeekHour(ms: number, utcOffsetMinutes: number): number {
  const local = new Date(ms + utcOffsetMinutes * MINUTE);
  return local.getUTCDay() * 24 + local.getUTCHours() + local.getUTCMinutes() / 60;
}

/** `yymmdd` of an instant in a plant's local time, for lot and document numbers people can read. */
export function localDateCode(ms: number, utcOffsetMinutes: number): string {
  return new Date(ms + utcOffsetMinutes * MINUTE).toISOString().slice(2, 10).replaceAll('-', '');
}

/**
 * The ERP's posting periods. Finance closes period P at 02:00 UTC on the first day of the next month
 * (after the night's batch jobs); from then on a posting into P is refused with "period closed".
 * One plant gets P reopened late, for a few days, so its stragglers can still be posted (and replays
 * of its period_closed failures succeed once the reopening starts).
 */
export class PeriodCalendar {
  static readonly CLOSE_DELAY = 2 * HOUR;

  constructor(private readonly reopen: { plant: string; after: number; length: number } | null) {}

  closesAt(period: string): number {
    return periodEnd(period) + PeriodCalendar.CLOSE_DELAY;
  }

  /** The late reopening window of `period` for `plant`, if that plant has one. */
  reopening(plant: string, period: string): { from: number; to: number } | null {
    if (!this.reopen || this.reopen.plant !== plant) return null;
    const from = this.closesAt(period) + this.reopen.after;
    return { from, to: from + this.reopen.length };
  }

  isOpen(plant: string, period: string, at: number): boolean {
    if (at < this.closesAt(period)) return true;
    const r = this.reopening(plant, period);
    return r !== null && at >= r.from && at < r.to;
  }

}
