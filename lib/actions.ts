// Actions on a transaction: acknowledge, assign, comment, resolve, reopen, and replay. Each is
// appended to exception_actions (never updated) with who, when and why, shows in the drill-down and
// is audited. Replay is refused for a transaction already posted, and carries the original
// idempotency key so the middleware cannot post twice.
import { randomUUID } from 'node:crypto';
import { insertRows, type Store } from '../clickhouse/client';
import { getTransaction, type TransactionAction, type TransactionDetail } from '../queries/getTransaction';
import { parseFilters, type Scope } from '../queries/filters';
import { publishReplay, type ReplayRequest } from '../ingest/replay';
import { actorOf, audit } from './auth/directory';
import type { Principal } from './auth/policy';

export const EXCEPTION_ACTIONS = ['acknowledge', 'assign', 'comment', 'resolve', 'reopen'] as const;
export type ExceptionAction = (typeof EXCEPTION_ACTIONS)[number];

export type ActionOutcome = { status: number; body: Record<string, unknown> };

const storeTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/** `flow` and `occurred_at` name the transaction's hour, so its KPI rollup is rebuilt (migration 009). */
async function appendAction(store: Store, row: { correlation_id: string; plant: string; flow: string; occurred_at: string; action: string; actor: string; assignee?: string; comment?: string; details?: unknown }) {
  const action_id = randomUUID();
  const at = new Date();
  await insertRows(
    store,
    'exception_actions',
    null,
    JSON.stringify({ action_id, correlation_id: row.correlation_id, plant: row.plant, flow: row.flow, occurred_at: storeTime(new Date(row.occurred_at)), action: row.action, actor: row.actor, assignee: row.assignee ?? '', comment: row.comment ?? '', details: row.details ? JSON.stringify(row.details) : '', at: storeTime(at) }) + '\n',
    `action-${action_id}`,
  );
  return { action_id, at: at.toISOString() };
}

export async function actOnException(
  store: Store,
  principal: Principal,
  correlationId: string,
  input: { action: ExceptionAction; assignee?: string; comment?: string },
  ip: string,
): Promise<ActionOutcome> {
  const scope: Scope = { plants: principal.plants };
  const tx = await getTransaction(store, correlationId, parseFilters(new URLSearchParams()), scope, { payloads: false });
  if (!tx) return { status: 404, body: { error: `no transaction ${correlationId}` } };
  if (input.action === 'assign' && !input.assignee) return { status: 400, body: { error: 'bad request', problems: ['assignee: required to assign'] } };
  if ((input.action === 'resolve' || input.action === 'reopen') && !input.comment) {
    return { status: 400, body: { error: 'bad request', problems: ['comment: say why (what was done, or why it is open again)'] } };
  }
  if (input.action !== 'comment' && tx.status !== 'failed') {
    return { status: 409, body: { error: `${correlationId} is ${tx.status}, not an exception: only comments apply` } };
  }
  const { actor } = actorOf(principal);
  const saved = await appendAction(store, { correlation_id: correlationId, plant: tx.summary.plant, flow: tx.summary.flow, occurred_at: tx.summary.occurred_at, action: input.action, actor, assignee: input.assignee, comment: input.comment });
  await audit(store, { ...actorOf(principal), action: `exception_${input.action}`, target: correlationId, plant: tx.summary.plant, outcome: 'ok', ip, details: { assignee: input.assignee, comment: input.comment } });
  return { status: 201, body: { ...saved, correlation_id: correlationId, action: input.action } };
}

/** One field of an action's details (a replay's attempt, replay_id; a comment's replay_not_sent). */
const detail = (a: TransactionAction, key: string): unknown => (a.details as Record<string, unknown> | null)?.[key];

/** How long a replay without an outcome blocks another one (the middleware may have lost it). */
export const REPLAY_OUTCOME_WAIT_MS = 10 * 60_000;

/**
 * The replay of this transaction still waiting for its outcome, if any: a replay action whose attempt
 * number no event has reached yet (the middleware reports the replay's outcome as that attempt),
 * requested less than REPLAY_OUTCOME_WAIT_MS before `now`. Whether the outcome arrived is told by
 * attempt numbers, not by comparing the middleware's clock with ours; the clock only ends the wait.
 */
export function outstandingReplay(tx: Pick<TransactionDetail, 'events' | 'actions'>, now: Date): { at: string; actor: string; attempt: number } | null {
  const reached = Math.max(0, ...tx.events.map((e) => e.attempt));
  const notSent = new Set(tx.actions.map((a) => detail(a, 'replay_not_sent')).filter(Boolean));
  for (const a of [...tx.actions].reverse()) {
    if (a.action !== 'replay' || notSent.has(detail(a, 'replay_id'))) continue;
    const attempt = Number(detail(a, 'attempt'));
    if (Number.isInteger(attempt) && attempt > reached && now.getTime() - Date.parse(a.at) < REPLAY_OUTCOME_WAIT_MS) return { at: a.at, actor: a.actor, attempt };
  }
  return null;
}

/** One replay decision at a time per transaction in this process (two clicks, two tabs). */
const replayLocks = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
  const before = replayLocks.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(run);
  replayLocks.set(key, mine);
  try {
    return await mine;
  } finally {
    if (replayLocks.get(key) === mine) replayLocks.delete(key);
  }
}

/**
 * Replay the latest failed attempt, with a new attempt number and the transaction's idempotency key.
 * Refused (409) when it is posted, when nothing failed, and while an earlier replay waits for its
 * outcome: two replays would be two calls into the ERP and would report the same attempt twice.
 */
export async function requestReplay(store: Store, principal: Principal, correlationId: string, reason: string, ip: string): Promise<ActionOutcome> {
  return oneAtATime(correlationId, () => replayOnce(store, principal, correlationId, reason, ip));
}

/**
 * How long a recorded replay request waits before it reads back which requests for the same attempt
 * were recorded: longer than two inserts take, so that two web processes that both found no replay
 * waiting, and both recorded theirs, each see the other's and agree which one goes.
 */
export const REPLAY_CLAIM_SETTLE_MS = 1_000;

/**
 * The replay decision without this process's lock: what a request reaching another web process does
 * (requestReplay adds the lock; tests call this to act as a second process).
 */
export async function replayOnce(store: Store, principal: Principal, correlationId: string, reason: string, ip: string): Promise<ActionOutcome> {
  const scope: Scope = { plants: principal.plants };
  const now = new Date();
  const tx = await getTransaction(store, correlationId, parseFilters(new URLSearchParams()), scope, { payloads: true });
  if (!tx) return { status: 404, body: { error: `no transaction ${correlationId}` } };
  const { actor } = actorOf(principal);
  const refuse = async (why: string, error: string) => {
    await audit(store, { ...actorOf(principal), action: 'replay_refused', target: correlationId, plant: tx.summary.plant, outcome: 'denied', ip, details: { reason: why } });
    return { status: 409, body: { error } };
  };
  if (tx.events.some((e) => e.status === 'posted') || tx.status === 'posted') {
    return refuse('already posted', `${correlationId} is already posted: replaying it could post it twice`);
  }
  const waiting = outstandingReplay(tx, now);
  if (waiting) {
    return refuse(
      'replay waiting for its outcome',
      `a replay of ${correlationId} (attempt ${waiting.attempt}) was requested at ${waiting.at} by ${waiting.actor} and has no outcome yet: wait for it (another replay is refused until it reports, or for ${REPLAY_OUTCOME_WAIT_MS / 60_000} minutes)`,
    );
  }
  const failed = [...tx.events].reverse().find((e) => e.status === 'failed');
  if (!failed) return { status: 409, body: { error: `${correlationId} has no failed attempt to replay (it is ${tx.status})` } };
  // past every attempt reported and every replay requested (one that never reported keeps its number)
  const requested = tx.actions.filter((a) => a.action === 'replay').map((a) => Number(detail(a, 'attempt'))).filter(Number.isInteger);
  const request: ReplayRequest = {
    replay_id: randomUUID(),
    correlation_id: correlationId,
    replay_of: failed.event_id,
    idempotency_key: correlationId,
    flow: tx.summary.flow,
    plant: tx.summary.plant,
    attempt: Math.max(...tx.events.map((e) => e.attempt), ...requested) + 1,
    payload: failed.payload === null ? '' : JSON.stringify(failed.payload),
    requested_by: actor,
    requested_at: now.toISOString(),
    reason,
  };
  // recorded before it is sent: a second request (this process or another) sees it waiting
  const saved = await appendAction(store, { correlation_id: correlationId, plant: tx.summary.plant, flow: tx.summary.flow, occurred_at: tx.summary.occurred_at, action: 'replay', actor, comment: reason, details: { ...request, payload: undefined } });
  // another process may have found no replay waiting at the same moment and recorded one too (maybe
  // with another attempt number, if an event arrived in between): once both are stored, of the replay
  // requests recorded since this decision read the transaction, the first recorded (time, then id) goes
  // and the others withdraw
  await new Promise((r) => setTimeout(r, REPLAY_CLAIM_SETTLE_MS));
  const after = await getTransaction(store, correlationId, parseFilters(new URLSearchParams()), { plants: null }, { payloads: false });
  const seen = new Set(tx.actions.map((a) => a.action_id));
  const notSent = new Set(after?.actions.map((a) => detail(a, 'replay_not_sent')).filter(Boolean));
  const first = (after?.actions ?? [])
    .filter((a) => a.action === 'replay' && !seen.has(a.action_id) && !notSent.has(detail(a, 'replay_id')))
    .sort((a, b) => a.at.localeCompare(b.at) || a.action_id.localeCompare(b.action_id))[0];
  if (first && detail(first, 'replay_id') !== request.replay_id) {
    await appendAction(store, { correlation_id: correlationId, plant: tx.summary.plant, flow: tx.summary.flow, occurred_at: tx.summary.occurred_at, action: 'comment', actor, comment: `Replay not sent: ${first.actor} requested a replay at the same moment, and that one goes`, details: { replay_not_sent: request.replay_id } });
    return refuse(
      'same replay requested at the same moment elsewhere',
      `a replay of ${correlationId} was requested at the same moment by ${first.actor}, and that one goes: this one was not sent`,
    );
  }
  let via: string;
  try {
    via = await publishReplay(request);
  } catch (e) {
    // not sent: said on the timeline, and it does not hold back the next replay
    const error = (e as Error).message;
    await appendAction(store, { correlation_id: correlationId, plant: tx.summary.plant, flow: tx.summary.flow, occurred_at: tx.summary.occurred_at, action: 'comment', actor, comment: `Replay not sent: ${error}`, details: { replay_not_sent: request.replay_id } });
    await audit(store, { ...actorOf(principal), action: 'replay_failed', target: correlationId, plant: tx.summary.plant, outcome: 'failed', ip, details: { replay_id: request.replay_id, error } });
    return { status: 503, body: { error: `the replay could not be sent (${error}); nothing was replayed, try again` } };
  }
  await audit(store, { ...actorOf(principal), action: 'replay_requested', target: correlationId, plant: tx.summary.plant, outcome: 'ok', ip, details: { replay_id: request.replay_id, replay_of: request.replay_of, via } });
  return { status: 202, body: { ...saved, replay_id: request.replay_id, replay_of: request.replay_of, attempt: request.attempt, via } };
}
