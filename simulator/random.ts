// Seeded randomness. The world is a pure function of its seed: every draw comes from a stream named by
// what it decides (plant + hour, order, transaction), never from Math.random, so the same seed gives
// the same events byte for byte, and adding a draw in one place does not shift every other decision.
import { createHash } from 'node:crypto';

/** sfc32: small, fast, and good enough for a simulation; seeded from a SHA-256 of the stream's name. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(name: string) {
    const h = createHash('sha256').update(name).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let x = this.next() * total;
    for (const [v, w] of entries) {
      x -= w;
      if (x < 0) return v;
    }
    return entries[entries.length - 1][0];
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal around a median: the shape of real interface latencies (most fast, a long tail). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Poisson count (Knuth for small means, a normal approximation above 50). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
}

/** A named random stream: `rng(seed, 'orders', 'P03', hour)`. */
export function rng(...parts: (string | number)[]): Rng {
  return new Rng(parts.join('\u001f'));
}

/** A deterministic hex id (trace ids: 16 bytes, span ids: 8 bytes) derived from names. */
export function hexId(bytes: 16 | 8, ...parts: (string | number)[]): string {
  const hex = createHash('sha1').update(parts.join('\u001f')).digest('hex').slice(0, bytes * 2);
  // an all-zero id is invalid in W3C trace context; a SHA-1 prefix never is in practice, but be sure
  return /^0+$/.test(hex) ? '1'.padStart(bytes * 2, '0') : hex;
}

/** A short tag (base36) naming a world, so ids from two different worlds never collide. */
export function shortTag(...parts: (string | number)[]): string {
  const n = createHash('sha1').update(parts.join('\u001f')).digest().readUInt32BE(0);
  return n.toString(36).padStart(7, '0').slice(-5);
}
