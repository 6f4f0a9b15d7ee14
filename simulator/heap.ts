// A binary min-heap ordered by (at, seq): the simulator's timeline of things still to happen. `seq` is
// the order things were scheduled in, which makes the order of equal instants deterministic.

export type Timed = { at: number; seq: number };

export class TimeHeap<T extends Timed> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  /** Take every item due at or before `at`, in order. */
  popUntil(at: number): T[] {
    const out: T[] = [];
    while (this.items.length && this.items[0].at <= at) out.push(this.pop()!);
    return out;
  }
}

const before = (x: Timed, y: Timed) => x.at < y.at || (x.at === y.at && x.seq < y.seq);
