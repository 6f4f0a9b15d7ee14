// Sign-in rate limiting: after 5 failures for one (address, account) pair since that account's last
// successful sign-in from there, or 30 from one address, within 15 minutes, further attempts are refused
// until the window passes. Counted from the audit log's sign_in_failed entries, so every web process
// sees the same count and a restart forgets nothing. The address is the connection's, or the one a
// trusted proxy saw (lib/clientAddress.ts).
import type { Store } from '../../clickhouse/client';
import { recentSignInFailures } from '../../queries/identity';

export const SIGN_IN_WINDOW_MS = 15 * 60_000;
export const SIGN_IN_ACCOUNT_LIMIT = 5;
export const SIGN_IN_ADDRESS_LIMIT = 30;
/** Attempts from one address that wait their turn in a process (beyond the one in progress); more are refused at once. */
export const SIGN_IN_MAX_WAITING = 16;

/**
 * Run one sign-in attempt for `key` (the client's address) at a time in this process, each after the
 * one before it has recorded its outcome. The limits are a check of the failures recorded so far, so
 * attempts sent side by side would otherwise all pass it before any had failed (20 at once were 20
 * password guesses). Across web processes each one's attempts are one at a time: at most one unchecked
 * attempt per process. The account limit counts per address and account, so an address's turn covers it.
 * At most SIGN_IN_MAX_WAITING wait: beyond that an attempt is answered `whenFull()` at once, unchecked
 * and unrecorded, so a flood from one address holds neither memory nor the store.
 */
export function oneAttemptAtATime<T>(key: string, attempt: () => Promise<T>, whenFull: () => T): Promise<T> {
  const queued = attemptsQueued.get(key) ?? 0;
  // a flood from one address: what is beyond the queue is refused unchecked (not a guess, nothing held)
  if (queued > SIGN_IN_MAX_WAITING) return Promise.resolve(whenFull());
  attemptsQueued.set(key, queued + 1);
  const before = attemptsInProgress.get(key) ?? Promise.resolve();
  const result = before.then(attempt, attempt);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  attemptsInProgress.set(key, settled);
  void settled.then(() => {
    const left = (attemptsQueued.get(key) ?? 1) - 1;
    if (left > 0) attemptsQueued.set(key, left);
    else attemptsQueued.delete(key);
    if (attemptsInProgress.get(key) === settled) attemptsInProgress.delete(key);
  });
  return result;
}
const attemptsInProgress = new Map<string, Promise<void>>();
/** Attempts of each address in progress or waiting their turn. */
const attemptsQueued = new Map<string, number>();

export async function signInBlocked(store: Store, ip: string, account: string, now = new Date()): Promise<boolean> {
  const failures = await recentSignInFailures(store, ip, account, new Date(now.getTime() - SIGN_IN_WINDOW_MS));
  return failures.account >= SIGN_IN_ACCOUNT_LIMIT || failures.address >= SIGN_IN_ADDRESS_LIMIT;
}
