// "Which plant is red, and why": one rule set for every page that colours a plant. A plant is red when
// it went silent, has an exception open for 4 hours or more, or its posting success or SLA compliance
// is below the red line; amber when anything is open or slightly below target; green otherwise.
import type { OverviewFigures } from '@/queries/getOverview';
import type { AgingRow } from '@/queries/getExceptionAging';
import type { PlantPulse } from '@/queries/getFlowMatrix';
import { AGING_4H_OR_MORE, AGING_UNDER_4H, SLA_COUNTED } from '@/lib/sla';
import { fmtDuration, fmtPct } from './format';

export const HEALTH_TARGETS = {
  /** posting success = posted / (posted + failed) */
  successRed: 0.95,
  successAmber: 0.99,
  slaRed: 0.9,
  slaAmber: 0.98,
};
const OLD_BUCKETS = new Set<string>(AGING_4H_OR_MORE);

export type HealthLevel = 'red' | 'amber' | 'green';
/** Where a reason's rows are: a page and its own parameters (the page adds the view's range and the plant). */
export type ReasonLink = { path: string; params: Record<string, string> };
export type PlantHealth = { level: HealthLevel; reasons: { level: HealthLevel; text: string; link: ReasonLink }[] };

/** The parameters of the rows behind a ratio: its denominator, in which the numerator's rows are marked. */
export const RATIO_ROWS = {
  /** posting success and first-pass yield: the finished transactions */
  finished: { status: 'posted,failed' },
  /** SLA compliance: posted (within threshold or late) and open breaches */
  slaCounted: { sla: SLA_COUNTED.join(',') },
} as const;

/**
 * The numerator of a ratio the overview answers (first-pass yield, SLA compliance) back from the ratio and
 * its denominator: exact, as both are counts of at most millions and a double holds their quotient to 1e-16.
 */
export const numeratorOf = (ratio: number | null, denominator: number) => (ratio === null ? 0 : Math.round(ratio * denominator));

export const postingSuccess = (f: Pick<OverviewFigures, 'posted' | 'failed'>) => (f.posted + f.failed === 0 ? null : f.posted / (f.posted + f.failed));

/** Each reason links to its rows (the page adds the plant): `plant` is for the plant's own page. */
export function plantHealth(f: OverviewFigures & { plant: string }, aging: AgingRow[], pulse?: PlantPulse): PlantHealth {
  const reasons: PlantHealth['reasons'] = [];
  const plantPage = { path: `/flows/${encodeURIComponent(f.plant)}`, params: {} };
  if (pulse?.silent) reasons.push({ level: 'red', text: `silent for ${fmtDuration((pulse.minutes_since_last ?? 0) * 60_000)}`, link: plantPage });
  const old = aging.filter((a) => OLD_BUCKETS.has(a.bucket)).reduce((n, a) => n + a.count, 0);
  if (old > 0) reasons.push({ level: 'red', text: `${old} exception${old > 1 ? 's' : ''} open 4 h or more`, link: { path: '/exceptions', params: { aging: AGING_4H_OR_MORE.join(',') } } });
  const success = postingSuccess(f);
  if (success !== null && success < HEALTH_TARGETS.successAmber) {
    reasons.push({ level: success < HEALTH_TARGETS.successRed ? 'red' : 'amber', text: `posting success ${fmtPct(success)}`, link: { path: '/transactions', params: RATIO_ROWS.finished } });
  }
  if (f.sla_compliance !== null && f.sla_compliance < HEALTH_TARGETS.slaAmber) {
    reasons.push({ level: f.sla_compliance < HEALTH_TARGETS.slaRed ? 'red' : 'amber', text: `SLA compliance ${fmtPct(f.sla_compliance)}`, link: { path: '/transactions', params: RATIO_ROWS.slaCounted } });
  }
  const young = f.open_exceptions - old;
  if (young > 0) reasons.push({ level: 'amber', text: `${young} open exception${young > 1 ? 's' : ''} under 4 h`, link: { path: '/exceptions', params: { aging: AGING_UNDER_4H.join(',') } } });
  if (f.open_sla_breaches > 0) reasons.push({ level: 'amber', text: `${f.open_sla_breaches} open SLA breach${f.open_sla_breaches > 1 ? 'es' : ''}`, link: { path: '/sla', params: { state: 'open' } } });
  // a plant code with nothing at all (a typo in the URL, a plant not live yet) is not a healthy plant
  if (f.transactions === 0 && !pulse?.last_reported_at) reasons.push({ level: 'amber', text: 'nothing received in this range, nor in the 7 days before the view’s instant', link: plantPage });
  const level: HealthLevel = reasons.some((r) => r.level === 'red') ? 'red' : reasons.length ? 'amber' : 'green';
  return { level, reasons };
}

/** What a green plant is told: on time only when every posting was, else within the targets, with the figures. */
export function healthyText(f: OverviewFigures): string {
  const success = postingSuccess(f);
  if ((success === null || success === 1) && (f.sla_compliance === null || f.sla_compliance === 1)) return 'all postings on time';
  return `within targets: posting success ${success === null ? '—' : fmtPct(success)} · SLA compliance ${f.sla_compliance === null ? '—' : fmtPct(f.sla_compliance)}`;
}
