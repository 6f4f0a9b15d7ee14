// "Which plant is red, and why" (components/plantHealth.ts), the words a plant row and a plant page
// show, on figures worked out by hand; and the latency chart's log axis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthyText, plantHealth } from '../components/plantHealth';
import { durationTick, latencyAxis } from '../components/Charts';
import { ordinal, pageOffsetOf, slowestRank } from '../components/format';
import type { OverviewFigures } from '../queries/getOverview';

const figures = (o: Partial<OverviewFigures & { plant: string }>): OverviewFigures & { plant: string } => ({
  plant: 'P01', transactions: 200, posted: 200, failed: 0, pending: 0, first_pass_yield: 1, sla_compliance: 1, open_exceptions: 0, open_sla_breaches: 0,
  latency_p50_ms: 1_000, latency_p95_ms: 5_000, ...o,
} as OverviewFigures & { plant: string });
const pulse = { plant: 'P01', last_reported_at: '2026-11-03T11:59:00.000Z', silent: false, minutes_since_last: 1 };

test('a green plant is "on time" only when every posting was; otherwise within targets, with the figures', () => {
  const onTime = figures({});
  assert.deepEqual(plantHealth(onTime, [], pulse), { level: 'green', reasons: [] });
  assert.equal(healthyText(onTime), 'all postings on time');
  // 197 of 200 within the threshold: 98.5 %, above the 98 % amber line, yet 3 were late
  const late = figures({ sla_compliance: 197 / 200 });
  assert.equal(plantHealth(late, [], pulse).level, 'green');
  assert.equal(healthyText(late), 'within targets: posting success 100.0% · SLA compliance 98.5%');
});

test('a plant with nothing at all (a typo, a plant not live) is not shown healthy; a silent one is red', () => {
  const none = figures({ transactions: 0, posted: 0, first_pass_yield: null, sla_compliance: null, latency_p50_ms: null, latency_p95_ms: null });
  assert.deepEqual(plantHealth(none, [], undefined), { level: 'amber', reasons: [{ level: 'amber', text: 'nothing received in this range, nor in the 7 days before the view’s instant', link: { path: '/flows/P01', params: {} } }] });
  // heard from this week, nothing in the range: no such reason
  assert.deepEqual(plantHealth(none, [], pulse), { level: 'green', reasons: [] });
  assert.deepEqual(plantHealth(figures({}), [], { ...pulse, silent: true, minutes_since_last: 65 }).reasons, [{ level: 'red', text: 'silent for 1 h 5 min', link: { path: '/flows/P01', params: {} } }]);
});

test('every reason links to the rows behind it: exceptions by age, a ratio by the transactions it counts, breaches', () => {
  // 100 finished: 90 posted, 10 failed (90 %: red); compliance 85 / 100 (red); 3 open, 2 of them 4 h or more; 4 open breaches
  const f = figures({ plant: 'P 7', transactions: 120, posted: 90, failed: 10, pending: 20, sla_compliance: 0.85, open_exceptions: 3, open_sla_breaches: 4 });
  const aging = [
    { plant: 'P 7', bucket: '1-4h' as const, count: 1 },
    { plant: 'P 7', bucket: '4-24h' as const, count: 1 },
    { plant: 'P 7', bucket: '>3d' as const, count: 1 },
  ];
  assert.deepEqual(plantHealth(f, aging, { ...pulse, plant: 'P 7', silent: true, minutes_since_last: 45 }), {
    level: 'red',
    reasons: [
      { level: 'red', text: 'silent for 45 min', link: { path: '/flows/P%207', params: {} } },
      { level: 'red', text: '2 exceptions open 4 h or more', link: { path: '/exceptions', params: { aging: '4-24h,1-3d,>3d' } } },
      { level: 'red', text: 'posting success 90.0%', link: { path: '/transactions', params: { status: 'posted,failed' } } },
      { level: 'red', text: 'SLA compliance 85.0%', link: { path: '/transactions', params: { sla: 'met,closed_breach,open_breach' } } },
      { level: 'amber', text: '1 open exception under 4 h', link: { path: '/exceptions', params: { aging: '<1h,1-4h' } } },
      { level: 'amber', text: '4 open SLA breaches', link: { path: '/sla', params: { state: 'open' } } },
    ],
  });
});

test('the latency axis runs from the round duration below the smallest percentile to the one above the largest', () => {
  // p50 850 ms … p99 3 h 10 min: 100 ms to 6 h
  assert.deepEqual(latencyAxis([850, 4_000, 11_400_000]), { domain: [100, 21_600_000], ticks: [100, 1_000, 10_000, 60_000, 600_000, 3_600_000, 21_600_000] });
  assert.deepEqual(latencyAxis([2_000, 2_500]), { domain: [1_000, 10_000], ticks: [1_000, 10_000] });
  // a narrow span keeps the in-between round durations: 10 min, 30 min, 1 h
  assert.deepEqual(latencyAxis([600_000, 2_400_000]), { domain: [600_000, 3_600_000], ticks: [600_000, 1_800_000, 3_600_000] });
  assert.deepEqual(latencyAxis([]), { domain: [1_000, 60_000], ticks: [1_000, 10_000, 30_000, 60_000] });
  // their labels, short enough for the axis
  assert.deepEqual([10, 100, 1_000, 10_000, 30_000, 60_000, 120_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000, 604_800_000].map(durationTick), ['10 ms', '100 ms', '1 s', '10 s', '30 s', '1 min', '2 min', '30 min', '1 h', '6 h', '1 d', '7 d']);
});

test('a percentile\'s row: its rank from the slowest (ClickHouse quantileExact takes position ⌊level × n⌋ of the ascending latencies) and the page of 100 that holds it', () => {
  // 10,000 posted: p50 is ascending position 5,000 (0-based), the 5,000th slowest, on the page from offset 4,900;
  // p95 position 9,500, the 500th slowest; p99 the 100th slowest, still on the first page
  assert.deepEqual([slowestRank(0.5, 10_000), slowestRank(0.95, 10_000), slowestRank(0.99, 10_000)], [5_000, 500, 100]);
  assert.deepEqual([pageOffsetOf(5_000, 100), pageOffsetOf(500, 100), pageOffsetOf(100, 100), pageOffsetOf(101, 100)], [4_900, 400, 0, 100]);
  // one posted: every percentile is it
  assert.deepEqual([slowestRank(0.5, 1), slowestRank(0.99, 1)], [1, 1]);
  assert.deepEqual([ordinal(1), ordinal(2), ordinal(3), ordinal(4), ordinal(11), ordinal(12), ordinal(13), ordinal(21), ordinal(112), ordinal(5_000)], ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '112th', '5,000th']);
});
