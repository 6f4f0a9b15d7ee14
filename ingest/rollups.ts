// The rollup builder: every interval, rebuilds the kpi_hourly rows (plant × flow × hour) whose
// kpi_changes counter moved since their last build, newest hours first, a day at a time, within a
// time budget so ingest and reads keep their share of the machine. Until a row is rebuilt the read
// side simply serves that hour from raw rows (queries/kpiRollup.ts), so a slow or stopped builder
// costs speed, never correctness. Several builders (ingest processes) may run: a build is valid for
// the counter it read, whoever wrote it.
import { execute, queryRows, sql, type Store } from '../clickhouse/client';
import { buildExceptionsRollupSql, buildRollupSql, buildSlaRollupSql, staleRollupKeys } from '../queries/kpiRollup';

const HOUR_MS = 3600_000;
/** How long an hour's change counter must be still before it is built (see migration 009). */
export const SETTLE_MS = 5_000;

export type RollupStats = { cycles: number; built: number; stale: number; lastError: string | null; lastCycleMs: number };

/**
 * Rebuild the stale rollup rows whose counter has settled, a UTC day per statement, until none is
 * left from this pass or `budgetMs` is spent. Hours that change while it runs (the current one, under ingest) wait for the
 * next pass, so this ends even while ingest never stops.
 */
export async function buildStaleRollups(store: Store, budgetMs = Infinity, settleMs = SETTLE_MS): Promise<{ built: number; stale: number }> {
  const started = Date.now();
  const BATCH = 20_000;
  let built = 0;
  for (;;) {
    const stale = await staleRollupKeys(store, BATCH, settleMs);
    const byDay = new Map<string, typeof stale>();
    for (const k of stale) {
      const day = k.hour.slice(0, 10);
      byDay.set(day, [...(byDay.get(day) ?? []), k]);
    }
    let done = 0;
    for (const [day, keys] of byDay) {
      if (Date.now() - started > budgetMs) return { built, stale: stale.length - done };
      const from = new Date(`${day}T00:00:00Z`);
      const to = new Date(from.getTime() + 24 * HOUR_MS);
      // exception and SLA rows first, the kpi_hourly row (with the hour's inventory effects) that makes
      // them count last (migrations 012–014); stamped with the store's clock, so the newest build is the
      // newest whichever process built it
      const [{ now }] = await queryRows<{ now: string }>(store, 'buildRollups.now', sql`SELECT now64(3, 'UTC') AS now`);
      const builtAt = now;
      await execute(store, 'buildExceptionsRollups', buildExceptionsRollupSql(keys, from, to, builtAt));
      await execute(store, 'buildSlaRollups', buildSlaRollupSql(keys, from, to, builtAt));
      await execute(store, 'buildRollups', buildRollupSql(keys, from, to, builtAt));
      built += keys.length;
      done += keys.length;
    }
    // a full batch means older stale hours are waiting; otherwise this pass saw them all
    if (stale.length < BATCH) return { built, stale: 0 };
  }
}

export class RollupBuilder {
  readonly stats: RollupStats = { cycles: 0, built: 0, stale: 0, lastError: null, lastCycleMs: 0 };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly intervalMs: number,
    private readonly log: (m: string) => void = () => {},
    private readonly budgetMs = Math.max(1000, intervalMs / 2),
  ) {}

  start() {
    if (this.intervalMs <= 0) return;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.cycle().finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, Math.min(this.intervalMs, 2000));
  }

  /** One pass; exposed for tests and the benchmark. */
  async cycle(budgetMs = this.budgetMs, settleMs = SETTLE_MS): Promise<void> {
    const t0 = Date.now();
    try {
      const r = await buildStaleRollups(this.store, budgetMs, settleMs);
      this.stats.built += r.built;
      this.stats.stale = r.stale;
      this.stats.lastError = null;
    } catch (e) {
      // the store may be failing for a while: ingest handles that; reads fall back to raw rows
      this.stats.lastError = e instanceof Error ? e.message : String(e);
      this.log(`rollups: build failed, will retry: ${this.stats.lastError}`);
    }
    this.stats.cycles++;
    this.stats.lastCycleMs = Date.now() - t0;
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
