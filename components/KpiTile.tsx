// One executive number: its value (a link to the rows behind it), a line of detail, and its trend
// against the previous period of the same length, coloured by whether the change is good or bad.
import { MaybeLink } from './Card';
import type { ReactNode } from 'react';
import { fmtDuration, fmtInt } from './format';

export type Tone = 'good' | 'warn' | 'bad' | 'neutral';
type Kind = 'count' | 'ratio' | 'duration';

export function KpiTile(props: { id: string; label: string; value: ReactNode; href: string | null; tone?: Tone; detail?: ReactNode; trend?: ReactNode; wide?: boolean; pair?: boolean }) {
  return (
    <div className={`card kpi tone-${props.tone ?? 'neutral'}${props.wide ? ' kpi-wide' : ''}`} data-testid={`kpi-${props.id}`}>
      <div className="kpi-label">{props.label}</div>
      <MaybeLink className={`kpi-value${props.pair ? ' pair' : ''}`} href={props.href} data-testid={`kpi-${props.id}-value`}>
        {props.value}
      </MaybeLink>
      {props.detail && <div className="kpi-detail">{props.detail}</div>}
      {props.trend}
    </div>
  );
}

/**
 * The change from the previous period; `href` opens that period's view (what the change is against).
 * `better`: which direction is good ('up' for success rates,
 * 'down' for breaches and latency, 'none' for volume).
 */
export function Trend({ current, previous, kind, better, period, href = null }: { current: number | null; previous: number | null; kind: Kind; better: 'up' | 'down' | 'none'; period: string; href?: string | null }) {
  if (current === null || previous === null) {
    return <div className="trend none" data-testid="trend">nothing to compare in the previous {period}</div>;
  }
  const delta = current - previous;
  const flat = kind === 'ratio' ? Math.abs(delta) < 0.0005 : kind === 'duration' ? Math.abs(delta) < 500 : delta === 0;
  if (flat) return <div className="trend flat" data-testid="trend">= same as the previous {period}</div>;
  const arrow = delta > 0 ? '▲' : '▼';
  const text =
    kind === 'ratio'
      ? `${(Math.abs(delta) * 100).toFixed(1)} pts`
      : kind === 'duration'
        ? fmtDuration(Math.abs(delta))
        : `${fmtInt(Math.abs(delta))}${previous > 0 ? ` (${delta > 0 ? '+' : '−'}${Math.round((Math.abs(delta) / previous) * 100)}%)` : ''}`;
  const good = better === 'none' ? 'flat' : (delta > 0) === (better === 'up') ? 'good' : 'bad';
  return (
    <div className={`trend ${good}`} data-testid="trend">
      {arrow} {text} vs <MaybeLink href={href} data-testid="trend-previous">previous {period}</MaybeLink>
    </div>
  );
}
