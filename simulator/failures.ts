// How a transaction's attempts play out: the target's answer to each attempt, the middleware's own
// retries, and the technical failures of a real integration (lock conflicts, timeouts that end in a
// late post, a failure, or a double post; a blocked inbound queue). Business causes (period, master
// data, batch, unit, authorization) come from the world's rules at the instant the target decides.
import { MINUTE, SECOND } from './calendar';
import type { Attempt, ErrorInfo, Transaction, TxEvent } from './model';
import type { Rng } from './random';
import type { WorldRules } from './rules';

export type PlanContext = {
  rng: Rng;
  rules: WorldRules;
  /** The target's document number for a posted attempt. */
  documentNo: (tx: Transaction) => string;
};

/** How long the middleware waits for the ERP before it reports a timeout. */
export const MIDDLEWARE_TIMEOUT = 300 * SECOND;
/** How many times the middleware itself tries a posting that failed for a technical reason. */
const MAX_AUTOMATIC_ATTEMPTS = 3;

const timeoutError = (target: string): ErrorInfo => ({
  code: 'MW-504',
  category: 'timeout',
  message: `No answer from ${target} within ${MIDDLEWARE_TIMEOUT / SECOND} s; the message stays in the middleware for replay`,
  recoverable: true,
});

const terminalTimeoutError: ErrorInfo = {
  code: 'RFC-TIMEOUT',
  category: 'timeout',
  message: 'The ERP did not answer the terminal call (RFC timeout); the terminal server queued the posting for replay',
  recoverable: true,
};

const lockError = (tx: Transaction): ErrorInfo => ({
  code: 'M3-897',
  category: 'lock_conflict',
  message: `${tx.orderNo ? `Order ${tx.orderNo}` : `Material ${tx.material}`} in plant ${tx.plant.code} is locked by user ${tx.plant.code}-BATCH-MRP`,
  recoverable: true,
});

export const eventId = (tx: Transaction, attempt: number, status: string) => `${tx.id}.${attempt}.${status}`;

function newAttempt(tx: Transaction, n: number, replayOf: string | null, acceptedAt: number, calledAt: number): Attempt {
  const a: Attempt = { n, replayOf, acceptedAt, calledAt, targetDoneAt: null, middlewareDoneAt: null, events: [] };
  tx.attempts.push(a);
  return a;
}

function addEvent(tx: Transaction, a: Attempt, status: TxEvent['status'], reportedAt: number, extra: Partial<TxEvent> = {}): TxEvent {
  const ev: TxEvent = { eventId: eventId(tx, a.n, status), status, attempt: a.n, replayOf: a.replayOf, reportedAt, deliveries: [], ...extra };
  a.events.push(ev);
  return ev;
}

function posted(tx: Transaction, a: Attempt, at: number, ctx: PlanContext) {
  a.targetDoneAt = at;
  addEvent(tx, a, 'posted', at, { documentNo: ctx.documentNo(tx) });
}

function failed(tx: Transaction, a: Attempt, at: number, error: ErrorInfo, targetDone = true): TxEvent {
  if (targetDone) a.targetDoneAt = at;
  return addEvent(tx, a, 'failed', at, { error });
}

const erpLatency = (tx: Transaction, rng: Rng) => Math.min(45 * SECOND, Math.max(150, Math.round(rng.logNormal(tx.plant.latency.erp.medianMs, tx.plant.latency.erp.sigma))));

/**
 * Plan a posting from the plant to the ERP. `firstReportAt` is when the first result is reported:
 * the middleware's `pending` for plants that post asynchronously, the answer itself for terminals.
 */
export function planErpPosting(tx: Transaction, firstReportAt: number, ctx: PlanContext): void {
  const { rng, rules } = ctx;
  const mix = tx.plant.failures;
  const sync = tx.plant.latency.accept === null;

  // attempt 1: where the call starts and when the ERP would normally answer
  let a: Attempt;
  let answerAt: number;
  if (sync) {
    const latency = erpLatency(tx, rng);
    const calledAt = Math.max(tx.occurredAt + 1, firstReportAt - latency);
    a = newAttempt(tx, 1, null, calledAt, calledAt);
    answerAt = firstReportAt;
  } else {
    a = newAttempt(tx, 1, null, firstReportAt, firstReportAt + rng.int(20, 200));
    addEvent(tx, a, 'pending', firstReportAt);
    answerAt = a.calledAt + erpLatency(tx, rng);
  }

  const roll = rng.next();
  const technical =
    roll < mix.lockConflict ? 'lock' : roll < mix.lockConflict + mix.timeout ? 'timeout' : !sync && roll < mix.lockConflict + mix.timeout + mix.stuckQueue ? 'stuck' : null;

  if (technical === 'timeout') {
    const variant = sync ? rng.weighted([['fail-retry', 0.7], ['fail-left', 0.3]] as const) : rng.weighted([['late', 0.45], ['fail-retry', 0.35], ['fail-left', 0.2]] as const);
    if (variant === 'late') {
      // the ERP is slow, not down: the posting goes through long after the SLA
      const at = a.calledAt + rng.int(6 * MINUTE, 40 * MINUTE);
      decideErp(tx, a, at, ctx);
      return;
    }
    const timedOutAt = sync ? answerAt : a.calledAt + MIDDLEWARE_TIMEOUT;
    a.middlewareDoneAt = timedOutAt;
    const failure = failed(tx, a, timedOutAt, sync ? terminalTimeoutError : timeoutError('ERP'), false);
    if (variant === 'fail-left') {
      a.targetDoneAt = timedOutAt;
      return;
    }
    const retry = retryAttempt(tx, failure, timedOutAt + rng.int(20 * SECOND, 90 * SECOND));
    const retryPosted = decideErp(tx, retry, retry.calledAt + erpLatency(tx, rng), ctx);
    if (retryPosted && rng.chance(0.3)) {
      // the ERP did process the first message after all, and the retry did not carry its idempotency
      // key: the same movement is posted twice (explained_duplicate in reconciliation)
      posted(tx, a, retryPosted + rng.int(1 * MINUTE, 20 * MINUTE), ctx);
    } else {
      a.targetDoneAt = timedOutAt;
    }
    return;
  }
  if (technical === 'stuck') {
    // the ERP's inbound queue is blocked (a failed predecessor in a serialized queue) for hours
    decideErp(tx, a, a.calledAt + rng.int(2 * 60 * MINUTE, 20 * 60 * MINUTE), ctx);
    return;
  }

  let refused = rules.erpRefusal(tx.facts, answerAt);
  if (!refused && technical === 'lock') refused = lockError(tx);
  if (!refused) {
    posted(tx, a, answerAt, ctx);
    return;
  }
  let failure = failed(tx, a, answerAt, refused);
  // the middleware retries what may go away by itself (a lock), a few times, then leaves it for people
  while (failure.error!.category === 'lock_conflict' && tx.attempts.length < MAX_AUTOMATIC_ATTEMPTS) {
    const retry = retryAttempt(tx, failure, failure.reportedAt + rng.int(30 * SECOND, 120 * SECOND));
    const at = retry.calledAt + erpLatency(tx, rng);
    const cause = rules.erpRefusal(tx.facts, at) ?? (rng.chance(0.25) ? lockError(tx) : null);
    if (!cause) {
      posted(tx, retry, at, ctx);
      return;
    }
    failure = failed(tx, retry, at, cause);
  }
}

/** The ERP decides on an attempt at `at`: posts it or refuses it for a business cause. Returns the posting time, or null. */
function decideErp(tx: Transaction, a: Attempt, at: number, ctx: PlanContext): number | null {
  const refused = ctx.rules.erpRefusal(tx.facts, at);
  if (refused) {
    failed(tx, a, at, refused);
    return null;
  }
  posted(tx, a, at, ctx);
  return at;
}

/** The middleware's own retry: a new attempt that replays the failed one. */
function retryAttempt(tx: Transaction, failure: TxEvent, at: number, reportsPending = tx.plant.latency.accept !== null): Attempt {
  const n = tx.attempts.length + 1;
  const a = newAttempt(tx, n, failure.eventId, at, at + 30);
  if (reportsPending) addEvent(tx, a, 'pending', at);
  return a;
}

/** Plan an order release from the ERP to the plant's shop-floor system. */
export function planOrderRelease(tx: Transaction, ctx: PlanContext, outageEnd: number | null): void {
  const { rng, rules } = ctx;
  const acceptedAt = tx.occurredAt + rng.int(200, 900);
  const a = newAttempt(tx, 1, null, acceptedAt, acceptedAt + rng.int(10, 50));
  addEvent(tx, a, 'pending', acceptedAt);
  const latency = Math.max(100, Math.round(rng.logNormal(tx.plant.latency.shopFloor.medianMs, tx.plant.latency.shopFloor.sigma)));

  if (rules.shopFloorUnreachable(tx.plant.code, a.calledAt)) {
    if (outageEnd !== null) {
      // the middleware stores and forwards: the release reaches the plant when the link is back
      const at = outageEnd + rng.int(1 * MINUTE, 6 * MINUTE);
      a.calledAt = at - latency;
      posted(tx, a, at, ctx);
      return;
    }
    a.targetUnreachable = true;
    a.middlewareDoneAt = a.calledAt + MIDDLEWARE_TIMEOUT;
    failed(tx, a, a.middlewareDoneAt, rules.shopFloorRefusal(tx.facts, a.calledAt)!, false);
    return;
  }
  const answerAt = a.calledAt + latency;
  const refused = rules.shopFloorRefusal(tx.facts, answerAt);
  if (refused) {
    failed(tx, a, answerAt, refused);
    return;
  }
  if (rng.chance(tx.plant.failures.timeout / 2)) {
    const timedOutAt = a.calledAt + MIDDLEWARE_TIMEOUT;
    a.middlewareDoneAt = timedOutAt;
    a.targetDoneAt = timedOutAt;
    const failure = failed(tx, a, timedOutAt, timeoutError(tx.plant.service), false);
    const retry = retryAttempt(tx, failure, timedOutAt + rng.int(30 * SECOND, 90 * SECOND), true);
    posted(tx, retry, retry.calledAt + latency, ctx);
    return;
  }
  posted(tx, a, answerAt, ctx);
}
