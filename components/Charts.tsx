'use client';
// Charts (recharts): posting latency percentiles over time, and a day's volume by current status
// (posted green, pending amber, failed red, as everywhere).
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { LatencyPoint } from '@/queries/getLatencyOverTime';
import type { VolumePoint } from '@/queries/getVolumeOverTime';
import { fmtDuration, fmtInt, fmtUtc } from './format';

const COLOURS = { posted: '#17803d', pending: '#e59b1a', failed: '#c42b2b', p50: '#1d5bd8', p95: '#7c3aed', p99: '#0f1722', threshold: '#c42b2b' };

const tickFor = (bucketSeconds: number) => (iso: string) => fmtUtc(iso, bucketSeconds >= 86_400 ? 'MMM d' : bucketSeconds >= 6 * 3600 ? 'MMM d HH:mm' : 'HH:mm');
const labelFor = (bucketSeconds: number) => (iso: unknown) => `${fmtUtc(String(iso), 'MMM d, HH:mm')} UTC · ${fmtDuration(bucketSeconds * 1000)} bucket`;

export function LatencyChart({ points, bucketSeconds, thresholdMs }: { points: LatencyPoint[]; bucketSeconds: number; thresholdMs?: number }) {
  return (
    <div className="chart chart-tall" data-testid="latency-chart">
      <LineChart responsive style={{ width: '100%', height: '100%' }} data={points} margin={{ top: 12, right: 24, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#e7ebf0" vertical={false} />
        <XAxis dataKey="bucket" tickFormatter={tickFor(bucketSeconds)} minTickGap={24} tick={{ fontSize: 12, fill: '#5a6472' }} />
        <YAxis tickFormatter={(v: number) => (v === 0 ? '0' : fmtDuration(v))} width={78} tick={{ fontSize: 12, fill: '#5a6472' }} />
        <Tooltip labelFormatter={labelFor(bucketSeconds)} formatter={(v, name) => [fmtDuration(v as number), String(name)]} />
        <Legend />
        {thresholdMs !== undefined && <ReferenceLine y={thresholdMs} stroke={COLOURS.threshold} strokeDasharray="6 4" label={{ value: 'SLA', position: 'insideTopRight', fill: COLOURS.threshold, fontSize: 12 }} />}
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
        <XAxis dataKey="bucket" tickFormatter={tickFor(bucketSeconds)} minTickGap={24} tick={{ fontSize: 12, fill: '#5a6472' }} />
        <YAxis allowDecimals={false} width={48} tick={{ fontSize: 12, fill: '#5a6472' }} />
        <Tooltip labelFormatter={labelFor(bucketSeconds)} formatter={(v, name) => [fmtInt(v as number), String(name)]} />
        <Legend />
        <Bar dataKey="posted" name="posted" stackId="s" fill={COLOURS.posted} isAnimationActive={false} />
        <Bar dataKey="pending" name="pending" stackId="s" fill={COLOURS.pending} isAnimationActive={false} />
        <Bar dataKey="failed" name="failed" stackId="s" fill={COLOURS.failed} isAnimationActive={false} />
      </BarChart>
    </div>
  );
}
