// Sign-in rate limiting: after 5 failures for one (address, account) pair, or 30 from one address,
// within 15 minutes, further attempts are refused until the window passes. In memory, per process.
const WINDOW_MS = 15 * 60_000;

class SignInLimiter {
  private failures = new Map<string, number[]>();

  private recent(key: string): number[] {
    const cutoff = Date.now() - WINDOW_MS;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  blocked(ip: string, account: string): boolean {
    return this.recent(`${ip}|${account}`).length >= 5 || this.recent(`${ip}|*`).length >= 30;
  }

  fail(ip: string, account: string) {
    for (const key of [`${ip}|${account}`, `${ip}|*`]) this.failures.set(key, [...this.recent(key), Date.now()]);
  }

  succeed(ip: string, account: string) {
    this.failures.delete(`${ip}|${account}`);
  }
}

export const signInLimiter = new SignInLimiter();
