// Actions on exceptions and replay, as ERP support uses them: appended with who and why, visible in
// the queue and the drill-down, refused where they make no sense, and replay never asked for a
// transaction that is already posted.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { registerReadStore } from '../clickhouse/shared';
import { onReplayRequest, type ReplayRequest } from '../ingest/replay';
import { createToken } from '../lib/auth/directory';
import { outstandingReplay, replayOnce } from '../lib/actions';
import type { Principal } from '../lib/auth/policy';
import { ALL_PLANTS, parseFilters } from '../queries/filters';
import { getExceptions } from '../queries/getExceptions';
import { getTransaction } from '../queries/getTransaction';
import { getOverview } from '../queries/getOverview';
import { planKpi } from '../queries/kpiRollup';
import { buildStaleRollups } from '../ingest/rollups';
import { openTestStore, scalar } from './support/store';
import { loadViewsDataset } from './support/views-dataset';
import * as actions from '../app/api/v1/transactions/[correlation_id]/actions/route';
import * as replay from '../app/api/v1/transactions/[correlation_id]/replay/route';

let store: Store;
const tokens: Record<string, string> = {};
const replays: ReplayRequest[] = [];
// the fixture's day, seen from now: actions are stamped with the real time
const window = () => parseFilters(new URLSearchParams('from=2026-11-02T00:00:00Z&to=2026-11-04T00:00:00Z'));

before(async () => {
  ({ store } = await openTestStore());
  registerReadStore(store);
  await loadViewsDataset(store, { payloads: true, snapshots: false });
  for (const [name, role, plants] of [['viewer', 'viewer', []], ['plant_it', 'plant_it', []], ['support', 'erp_support', []], ['support_p02', 'erp_support', ['P02']]] as const) {
    tokens[name] = (await createToken(store, { name: `t-${name}`, role, plants: [...plants] }, 'test')).token;
  }
  onReplayRequest((r) => replays.push(r));
});

after(async () => {
  await store.close();
});

async function post(route: { POST: (r: Request, c: { params: Promise<{ correlation_id: string }> }) => Promise<Response> }, id: string, token: string, body: object) {
  const res = await route.POST(
    new Request(`http://plantline.test/api/v1/transactions/${id}/x`, { method: 'POST', headers: { authorization: `Bearer ${tokens[token]}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    { params: Promise.resolve({ correlation_id: id }) },
  );
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

test('acknowledge, assign, resolve: the queue shows each state, with who and why kept', async () => {
  assert.equal((await post(actions, 'T3', 'plant_it', { action: 'acknowledge' })).status, 201);
  let queue = await getExceptions(store, window(), ALL_PLANTS, { status: 'open' });
  assert.equal(queue.items.find((i) => i.correlation_id === 'T3')!.state, 'acknowledged');

  assert.equal((await post(actions, 'T6', 'support', { action: 'assign' })).status, 400);
  assert.equal((await post(actions, 'T6', 'support', { action: 'assign', assignee: 'ben' })).status, 201);
  queue = await getExceptions(store, window(), ALL_PLANTS, { status: 'open' });
  const t6 = queue.items.find((i) => i.correlation_id === 'T6')!;
  assert.deepEqual([t6.state, t6.assignee], ['assigned', 'ben']);

  const noWhy = await post(actions, 'T11', 'support', { action: 'resolve' });
  assert.equal(noWhy.status, 400);
  assert.match(noWhy.body.problems[0], /^comment: say why/);
  assert.equal((await post(actions, 'T11', 'support', { action: 'resolve', comment: 'inspection lot created by QA; posted by hand' })).status, 201);
  queue = await getExceptions(store, window(), ALL_PLANTS, { status: 'open' });
  assert.deepEqual(queue.items.map((i) => i.correlation_id).sort(), ['T12', 'T3', 'T6']);

  const tx = await getTransaction(store, 'T11', window(), ALL_PLANTS);
  assert.deepEqual(tx!.actions.map((a) => [a.action, a.actor, a.comment]), [['resolve', 'token:t-support', 'inspection lot created by QA; posted by hand']]);
  assert.equal(tx!.summary.state, 'resolved');
});

test('an action taken through the API sends its hour of the KPI rollup back to raw rows until rebuilt', async () => {
  await buildStaleRollups(store, Infinity, 0);
  const scrapHour = `plant = 'P02' AND flow = 'scrap' AND hour = '2026-11-02 13:00:00'`;
  const changes = () => scalar(store, `SELECT sum(changes) FROM kpi_changes WHERE ${scrapHour}`);
  const untrusted = async () => (await planKpi(store, window(), ALL_PLANTS)).rawKeys.map((k) => k.join('/'));
  const [c0, open0] = [await changes(), (await getOverview(store, window(), ALL_PLANTS)).open_exceptions];
  assert.ok(!(await untrusted()).includes('P02/scrap/2026-11-02 13:00:00'));
  // T6 (P02 scrap, occurred 11-02 13:00) is resolved by hand
  assert.equal((await post(actions, 'T6', 'support', { action: 'resolve', comment: 'stock corrected by hand' })).status, 201);
  assert.equal(await changes(), c0 + 1);
  assert.ok((await untrusted()).includes('P02/scrap/2026-11-02 13:00:00'));
  assert.equal((await getOverview(store, window(), ALL_PLANTS)).open_exceptions, open0 - 1);
  await buildStaleRollups(store, Infinity, 0);
  assert.ok(!(await untrusted()).includes('P02/scrap/2026-11-02 13:00:00'));
  const overview = await getOverview(store, window(), ALL_PLANTS);
  assert.equal(overview.open_exceptions, open0 - 1);
  assert.deepEqual(overview, await getOverview(store, window(), ALL_PLANTS, { rollups: false }));
});

test('actions other than comments only apply to exceptions; viewers may not act', async () => {
  const onPosted = await post(actions, 'T1', 'support', { action: 'resolve', comment: 'x' });
  assert.equal(onPosted.status, 409);
  assert.match(onPosted.body.error, /T1 is posted, not an exception/);
  assert.equal((await post(actions, 'T1', 'support', { action: 'comment', comment: 'checked the GR document, fine' })).status, 201);
  assert.equal((await post(actions, 'T3', 'viewer', { action: 'acknowledge' })).status, 403);
  assert.equal((await post(actions, 'NOPE', 'support', { action: 'comment', comment: 'x' })).status, 404);
  assert.equal((await post(actions, 'T3', 'support', { action: 'escalate' })).status, 400);
});

test('replay: the failed attempt goes back to the middleware with the original idempotency key; a posted transaction is refused', async () => {
  const res = await post(replay, 'T3', 'support', { reason: 'material M-9 created in the MES master' });
  assert.equal(res.status, 202);
  assert.equal(res.body.via, 'in-process');
  assert.equal(replays.length, 1);
  const r = replays[0];
  assert.deepEqual([r.correlation_id, r.replay_of, r.idempotency_key, r.attempt, r.flow, r.plant, r.requested_by], ['T3', 'e5', 'T3', 2, 'order_release', 'P01', 'token:t-support']);
  assert.deepEqual(JSON.parse(r.payload), { idoc: 'DOC-e5' });
  const tx = await getTransaction(store, 'T3', window(), ALL_PLANTS);
  assert.deepEqual(tx!.actions.filter((a) => a.action === 'replay').map((a) => [a.actor, a.comment, (a.details as { replay_of: string }).replay_of]), [['token:t-support', 'material M-9 created in the MES master', 'e5']]);

  const posted = await post(replay, 'T2', 'support', { reason: 'again' });
  assert.equal(posted.status, 409);
  assert.match(posted.body.error, /already posted/);
  assert.equal(replays.length, 1, 'nothing was sent for the posted one');
  assert.equal((await post(replay, 'T3', 'plant_it', { reason: 'please' })).status, 403);
  assert.equal((await post(replay, 'T3', 'support_p02', { reason: 'other plant' })).status, 404);
  const audit = await queryRows<{ action: string; outcome: string }>(store, 'test', sql`SELECT action, outcome FROM audit_log WHERE target IN ${param('ids', 'Array(String)', ['T2', 'T3'])} AND action LIKE 'replay%' ORDER BY action`);
  assert.deepEqual(audit.map((a) => [a.action, a.outcome]), [['replay_refused', 'denied'], ['replay_requested', 'ok']]);
});

test('replay: two requests at once send one; another waits for its outcome, then goes as the next attempt; one not sent holds nothing back', async () => {
  const sent = () => replays.filter((r) => r.correlation_id === 'T11');
  // two clicks (or two tabs) at the same moment: one replay goes out, the other is refused
  const both = await Promise.all([post(replay, 'T11', 'support', { reason: 'lot QL-7 created' }), post(replay, 'T11', 'support', { reason: 'lot QL-7 created, again' })]);
  assert.deepEqual(both.map((r) => r.status).sort(), [202, 409]);
  const refused = both.find((r) => r.status === 409)!;
  assert.match(refused.body.error, /^a replay of T11 \(attempt 2\) was requested at \S+ by token:t-support and has no outcome yet: wait for it/);
  assert.deepEqual(sent().map((r) => [r.attempt, r.replay_of]), [[2, 'e17']]);
  // still no outcome: still refused, nothing sent
  assert.equal((await post(replay, 'T11', 'support', { reason: 'third time' })).status, 409);
  assert.equal(sent().length, 1);
  // the middleware reports the replay's outcome: attempt 2 failed again
  const { IngestPipeline } = await import('../ingest/pipeline');
  const { decodeMessage } = await import('../ingest/decode');
  const failedAgain = async (eventId: string, attempt: number, replayOf: string) => {
    const outcome = decodeMessage('postings', JSON.stringify({
      event_id: eventId, correlation_id: 'T11', plant: 'P02', flow: 'quality_hold', source_system: 'QMS', target_system: 'ERP', status: 'failed', attempt, replay_of: replayOf,
      occurred_at: '2026-11-03T11:58:00Z', reported_at: new Date().toISOString(), lot: 'QL-7', error: { code: 'QM-12', category: 'validation', message: 'Inspection lot QL-7 unknown' },
    }), { source: 'file', position: `replay-outcome-${eventId}` });
    assert.ok(outcome.ok);
    const pipeline = new IngestPipeline(store, { ingest: { batchRows: 10, flushIntervalMs: 5, maxBufferedRows: 100 } }, () => undefined);
    await pipeline.submitPostings([outcome.row] as never, `replay-outcome-${eventId}`);
    await pipeline.close();
  };
  await failedAgain('e17-r2', 2, 'e17');
  const next = await post(replay, 'T11', 'support', { reason: 'lot QL-7 released' });
  assert.equal(next.status, 202);
  assert.deepEqual(sent().map((r) => [r.attempt, r.replay_of]), [[2, 'e17'], [3, 'e17-r2']]);
  // a replay the publisher could not send: 503, said on the timeline, and it holds back nothing
  const { registerReplayPublisher, publishReplayInProcess } = await import('../ingest/replay');
  registerReplayPublisher(async () => {
    throw new Error('broker unreachable');
  });
  try {
    await failedAgain('e17-r3', 3, 'e17-r2');
    const unsent = await post(replay, 'T11', 'support', { reason: 'once more' });
    assert.equal(unsent.status, 503);
    assert.equal(unsent.body.error, 'the replay could not be sent (broker unreachable); nothing was replayed, try again');
  } finally {
    registerReplayPublisher(async (r) => {
      publishReplayInProcess(r);
      return 'in-process';
    });
  }
  const tx = await getTransaction(store, 'T11', window(), ALL_PLANTS);
  assert.match(tx!.actions.at(-1)!.comment, /^Replay not sent: broker unreachable$/);
  const again = await post(replay, 'T11', 'support', { reason: 'broker back' });
  assert.equal(again.status, 202);
  // the unsent request kept its number: this one is attempt 5
  assert.deepEqual(sent().map((r) => r.attempt), [2, 3, 5]);
});

test('replay: two web processes asked at the same moment send one; the other withdraws, says so on the timeline, and holds nothing back', async () => {
  const sent = () => replays.filter((r) => r.correlation_id === 'T12');
  const support = (name: string): Principal => ({ kind: 'token', id: name, name, role: 'erp_support', plants: null });
  // replayOnce is the decision without this process's lock: as two processes, each found no replay
  // waiting and recorded its own
  const both = await Promise.all([replayOnce(store, support('t-a'), 'T12', 'unit fixed', ''), replayOnce(store, support('t-b'), 'T12', 'unit fixed too', '')]);
  assert.deepEqual(both.map((r) => r.status).sort(), [202, 409]);
  assert.equal(sent().length, 1);
  const winner = both.find((r) => r.status === 202)!.body as { attempt: number };
  const loser = both.find((r) => r.status === 409)!.body as { error: string };
  assert.equal(winner.attempt, 2);
  assert.match(loser.error, /^a replay of T12 was requested at the same moment by token:t-[ab], and that one goes: this one was not sent$/);
  const tx = await getTransaction(store, 'T12', window(), ALL_PLANTS);
  assert.match(tx!.actions.filter((a) => a.action === 'comment').at(-1)!.comment, /^Replay not sent: token:t-[ab] requested a replay at the same moment, and that one goes$/);
  // the one sent waits for its outcome; the withdrawn one (recorded too, with the same attempt) is not it
  const winnerActor = both[0].status === 202 ? 'token:t-a' : 'token:t-b';
  assert.deepEqual([outstandingReplay(tx!, new Date())?.attempt, outstandingReplay(tx!, new Date())?.actor], [2, winnerActor]);
  assert.equal(tx!.actions.filter((a) => a.action === 'replay').length, 2);
});
