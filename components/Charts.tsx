'use client';
// Charts (recharts): posting latency percentiles over time, and a day's volume by current status
// (posted green, pending amber, failed red, as everywhere).
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { LatencyPoint } from '@/queries/getLatencyOverTime';
import type { VolumePoint } from '@/queries/getVolumeOverTime';
import { fmtDuration, fmtInt, fmtUtc } from './format';

const COLOURS = { posted: '#17803d', pending: '#e59b1a', failed: '#c42b2b', p50: '#1d5bd8', p95: '#7c3aed', p99: '#0f1722', threshold: '#c42b2b' };

// axis text in rem: it grows with the page on a control-room wall (the root size does)
const TICK = { fontSize: '0.8rem', fill: '#5a6472' };
const tickFor = (bucketSeconds: number) => (iso: string) => fmtUtc(iso, bucketSeconds >= 86_400 ? 'MMM d' : bucketSeconds >= 6 * 3600 ? 'MMM d HH:mm' : 'HH:mm');
const labelFor = (bucketSeconds: number) => (iso: unknown) => `${fmtUtc(String(iso), 'MMM d, HH:mm')} UTC · ${fmtDuration(bucketSeconds * 1000)} bucket`;

/** Round durations for a logarithmic latency axis: 10 ms … 7 days; the major ones alone over a wide span. */
const DURATION_TICKS = [10, 100, 1_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000];
const MAJOR_TICKS = new Set([10, 100, 1_000, 10_000, 60_000, 600_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000]);

/**
 * A log axis from the round duration at or below the smallest value to the one at or above the largest:
 * p50, p95 and p99 differ by orders of magnitude, and on a linear axis one slow bucket's p99 flattens
 * the rest to zero.
 */
export function latencyAxis(values: number[]): { domain: [number, number]; ticks: number[] } {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) return latencyAxis([1_000, 60_000]);
  const lo = Math.min(...positive);
  const hi = Math.max(...positive);
  const from = [...DURATION_TICKS].reverse().find((t) => t <= lo) ?? DURATION_TICKS[0];
  const to = DURATION_TICKS.find((t) => t >= hi) ?? DURATION_TICKS[DURATION_TICKS.length - 1];
  const ticks = DURATION_TICKS.filter((t) => t >= from && t <= to);
  return { domain: [from, to], ticks: ticks.length > 8 ? ticks.filter((t) => MAJOR_TICKS.has(t)) : ticks };
}

/** A round duration of the axis in its own unit, short: 100 ms, 10 s, 30 min, 6 h, 7 d. */
export function durationTick(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${ms / 1_000} s`;
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  if (ms < 86_400_000) return `${ms / 3_600_000} h`;
  return `${ms / 86_400_000} d`;
}

export function LatencyChart({ points, bucketSeconds, thresholdMs }: { points: LatencyPoint[]; bucketSeconds: number; thresholdMs?: number }) {
  // a log scale has no 0: a bucket whose percentile is under 10 ms is drawn at 10 ms, the axis's floor
  const floor = (v: number | null) => (v === null ? null : Math.max(DURATION_TICKS[0], v));
  const data = points.map((p) => ({ ...p, p50_ms: floor(p.p50_ms), p95_ms: floor(p.p95_ms), p99_ms: floor(p.p99_ms) }));
  const axis = latencyAxis([...data.flatMap((p) => [p.p50_ms, p.p95_ms, p.p99_ms]).filter((v): v is number => v !== null), ...(thresholdMs ? [thresholdMs] : [])]);
  return (
    <div className="chart chart-tall" data-testid="latency-chart">
      <LineChart responsive style={{ width: '100%', height: '100%' }} data={data} margin={{ top: 12, right: 40, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#e7ebf0" vertical={false} />
        <XAxis dataKey="bucket" tickFormatter={tickFor(bucketSeconds)} minTickGap={24} tick={TICK} />
        <YAxis scale="log" domain={axis.domain} ticks={axis.ticks} allowDataOverflow tickFormatter={durationTick} width={84} tick={TICK} />
        <Tooltip labelFormatter={labelFor(bucketSeconds)} formatter={(v, name) => [fmtDuration(v as number), String(name)]} />
        <Legend />
        {thresholdMs !== undefined && <ReferenceLine y={thresholdMs} stroke={COLOURS.threshold} strokeDasharray="6 4" label={{ value: 'SLA', position: 'right', fill: COLOURS.threshold, fontSize: '0.8rem' }} />}
        <Line type="linear" dataKey="p50_ms" name="p50" stroke={COLOURS.p50} strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
        <Line type="linear" dataKey="p95_ms" name="p95" stroke={COLOURS.p95} strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
        <Line type="linear" dataKey="p99_ms" name="p99" stroke={COLOURS.p99} strokeWidth={1.5} strokeDasharray="4 3" dot={false} connectNulls isAnimationActive={false} />
      </LineChart>
    </div>
  );
}

export function VolumeChart({ points, bucketSeconds }: { points: VolumePoint[]; bucketSeconds: number }) {
  return (
    <div className="chart" data-testid="volume-chart">
      <BarChart responsive style={{ width: '100%', height: '100%' }} data={points} margin={{ top: 12, right: 24, bottom: 4, left: 0 }}>
        <CartesianGrid stroke="#e7ebf0" vertical={false} />
        <XAxis dataKey="bucket" tickFormatter={tickFor(bucketSeconds)} minTickGap={24} tick={TICK} />
        <YAxis allowDecimals={false} width={60} tick={TICK} />
        <Tooltip labelFormatter={labelFor(bucketSeconds)} formatter={(v, name) => [fmtInt(v as number), String(name)]} />
        <Legend />
        <Bar dataKey="posted" name="posted" stackId="s" fill={COLOURS.posted} isAnimationActive={false} />
        <Bar dataKey="pending" name="pending" stackId="s" fill={COLOURS.pending} isAnimationActive={false} />
        <Bar dataKey="failed" name="failed" stackId="s" fill={COLOURS.failed} isAnimationActive={false} />
      </BarChart>
    </div>
  );
}
