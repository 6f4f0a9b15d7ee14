// Callers waiting for something to change (the writers to have room, a slot to free), woken all at once
// or one at a time; a caller that stops waiting (its time is up) leaves the list, so refused requests do
// not pile up in it.
export class Waiters {
  private waiting: (() => void)[] = [];

  /** Resolves when woken, or after `ms` (never, without it). */
  wait(ms = Infinity): Promise<void> {
    return new Promise<void>((wake) => {
      const woken = () => {
        clearTimeout(timer);
        wake();
      };
      const timer = Number.isFinite(ms)
        ? setTimeout(() => {
            this.waiting = this.waiting.filter((w) => w !== woken);
            wake();
          }, ms)
        : undefined;
      this.waiting.push(woken);
    });
  }

  wakeOne(): void {
    this.waiting.shift()?.();
  }

  wakeAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}
