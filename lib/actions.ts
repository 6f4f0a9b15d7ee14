// Actions on a transaction: acknowledge, assign, comment, resolve, reopen, and replay. Each is
// appended to exception_actions (never updated) with who, when and why, shows in the drill-down and
// is audited. Replay is refused for a transaction already posted, and carries the original
// idempotency key so the middleware cannot post twice.
import { randomUUID } from 'node:crypto';
import { insertRows, type Store } from '../clickhouse/client';
import { getTransaction } from '../queries/getTransaction';
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

export async function requestReplay(store: Store, principal: Principal, correlationId: string, reason: string, ip: string): Promise<ActionOutcome> {
  const scope: Scope = { plants: principal.plants };
  const tx = await getTransaction(store, correlationId, parseFilters(new URLSearchParams()), scope, { payloads: true });
  if (!tx) return { status: 404, body: { error: `no transaction ${correlationId}` } };
  const { actor } = actorOf(principal);
  if (tx.events.some((e) => e.status === 'posted') || tx.status === 'posted') {
    await audit(store, { ...actorOf(principal), action: 'replay_refused', target: correlationId, plant: tx.summary.plant, outcome: 'denied', ip, details: { reason: 'already posted' } });
    return { status: 409, body: { error: `${correlationId} is already posted: replaying it could post it twice` } };
  }
  const failed = [...tx.events].reverse().find((e) => e.status === 'failed');
  if (!failed) return { status: 409, body: { error: `${correlationId} has no failed attempt to replay (it is ${tx.status})` } };
  const request: ReplayRequest = {
    replay_id: randomUUID(),
    correlation_id: correlationId,
    replay_of: failed.event_id,
    idempotency_key: correlationId,
    flow: tx.summary.flow,
    plant: tx.summary.plant,
    attempt: Math.max(...tx.events.map((e) => e.attempt)) + 1,
    payload: failed.payload === null ? '' : JSON.stringify(failed.payload),
    requested_by: actor,
    requested_at: new Date().toISOString(),
    reason,
  };
  const via = await publishReplay(request);
  const saved = await appendAction(store, { correlation_id: correlationId, plant: tx.summary.plant, flow: tx.summary.flow, occurred_at: tx.summary.occurred_at, action: 'replay', actor, comment: reason, details: { ...request, payload: undefined, via } });
  await audit(store, { ...actorOf(principal), action: 'replay_requested', target: correlationId, plant: tx.summary.plant, outcome: 'ok', ip, details: { replay_id: request.replay_id, replay_of: request.replay_of, via } });
  return { status: 202, body: { ...saved, replay_id: request.replay_id, replay_of: request.replay_of, attempt: request.attempt, via } };
}
