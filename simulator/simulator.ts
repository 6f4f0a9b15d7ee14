// The simulator's engine: a clock that walks the world forward, hour by hour through the history as
// fast as the store takes it (or `speed` times real time), then with the wall clock; everything due
// is handed to the delivery; the ledger follows what went out; replay requests are executed against
// the world as it stands at that instant.
import type { ReplayRequest } from '../ingest/replay';
import type { InventorySnapshot, PostingEvent } from '../lib/contract';
import { HOUR, SECOND, iso } from './calendar';
import type { Delivery } from './delivery';
import { toPostingEvent } from './flows';
import { TimeHeap } from './heap';
import { Ledger, type ReplayRecord } from './ledger';
import type { Attempt, TxEvent } from './model';
import { rng } from './random';
import { ReplayQueue, replayCause, transactionForReplay } from './replay';
import { TraceEmitter } from './traces';
import { World, type Outgoing, type WorldOptions } from './world';

export type SimulatorOptions = WorldOptions & {
  delivery: Delivery;
  /** Simulated time runs this many times faster than real time until it reaches the wall clock (default: as fast as the store takes it). */
  speed?: number;
  /** Keep a ledger (memory grows with the transactions sent). */
  ledger?: boolean;
  /** Items that existed before this instant were delivered by an earlier run of the same world: generate them, do not send them again. */
  deliveredUntil?: number;
  /** Replays an earlier run of this world executed, applied again at their instants so the world's stock agrees with the store. */
  replayLog?: ReplayLogEntry[];
  /** The wall clock (tests may pin it). */
  wallClock?: () => number;
  log?: (m: string) => void;
};

/** A replay as executed: enough to execute it again identically. */
export type ReplayLogEntry = { request: ReplayRequest; at: number; answeredAt: number };

/** When a message comes into existence in the world (a posting: reported; a snapshot: as of; spans: ended). */
function existsAt(item: Outgoing): number {
  if (item.kind === 'posting') return item.event.reportedAt;
  if (item.kind === 'snapshot') return Date.parse(item.snapshot.as_of);
  return item.end;
}

export type Progress = { clock: number; postings: number; snapshots: number; spans: number; elapsedMs: number };

export class Simulator {
  readonly world: World;
  readonly ledger: Ledger | null;
  readonly traces: TraceEmitter;
  readonly replays: ReplayQueue;
  readonly replayLog: ReplayLogEntry[] = [];
  private readonly heap = new TimeHeap<Outgoing>();
  private readonly delivery: Delivery;
  private readonly wall: () => number;
  private readonly log: (m: string) => void;
  private readonly pendingReplays: ReplayLogEntry[];
  /** Everything due up to here has been handed to the delivery. */
  private clock: number;
  private clockSetAt: number;
  private unflushedSpans = 0;
  private stopped = false;
  /** Why the simulator stopped by itself, if it did. */
  failure: Error | null = null;
  private stopping: Promise<void> | null = null;
  private loop: Promise<void> | null = null;
  private markLive: (failure?: Error) => void = () => undefined;
  private readonly live = new Promise<void>((resolve, reject) => (this.markLive = (failure) => (failure ? reject(failure) : resolve())));
  readonly progress: Progress = { clock: 0, postings: 0, snapshots: 0, spans: 0, elapsedMs: 0 };

  constructor(private readonly opts: SimulatorOptions) {
    this.world = new World(opts);
    this.ledger = opts.ledger ? new Ledger(this.world) : null;
    this.delivery = opts.delivery;
    this.traces = new TraceEmitter((service) => opts.delivery.spanExporter(service));
    this.wall = opts.wallClock ?? Date.now;
    this.log = opts.log ?? (() => undefined);
    this.clock = this.world.origin - 1;
    this.clockSetAt = this.wall();
    this.replays = new ReplayQueue((r) => this.executeReplay(r), this.log);
    this.pendingReplays = [...(opts.replayLog ?? [])].sort((a, b) => a.at - b.at);
    this.live.catch(() => undefined); // reported through whenLive() and `failure`, never as an unhandled rejection
  }

  /**
   * The world's present, what a replay is judged against: the wall clock once the simulator runs live
   * (people ask for replays now, whatever part of history is still being backfilled); in a bounded run,
   * the end of the simulated history moving on with real time.
   */
  now(): number {
    const wall = this.wall();
    if (this.loop) return wall;
    return this.clock + (wall - this.clockSetAt);
  }

  /** Resolves once the history is delivered and the simulator follows the wall clock; rejects if it stopped on a delivery failure first. */
  whenLive(): Promise<void> {
    return this.live;
  }

  /** Resolves when the running simulator has stopped (by stop(), or by itself on a delivery failure: see `failure`). */
  ended(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Generate and deliver everything due up to `until`, an hour at a time (yielding in between, so a host process keeps serving). */
  async advanceTo(until: number): Promise<void> {
    while (this.clock < until && !this.stopped) {
      const stepStarted = performance.now();
      const step = Math.min(until, Math.floor((this.clock + 1) / HOUR) * HOUR + HOUR - 1);
      while (this.world.nextHour <= step) this.world.generateHour((item) => this.heap.push(item));
      await this.applyLoggedReplays(step);
      await this.send(this.heap.popUntil(step));
      this.clock = step;
      this.clockSetAt = this.wall();
      if (this.unflushedSpans > 20_000) await this.flushSpans();
      this.progress.clock = step;
      this.progress.elapsedMs += performance.now() - stepStarted;
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * End a bounded run at `end`: deliver what exists by then even if its delivery was planned a little
   * later (a late or duplicate copy, a snapshot still being extracted), so the store holds the world
   * exactly as of `end` and the ledger can be written as of it.
   */
  async finishAt(end: number): Promise<void> {
    await this.advanceTo(end);
    while (this.world.nextHour <= end) this.world.generateHour((item) => this.heap.push(item));
    const rest: Outgoing[] = [];
    const due: Outgoing[] = [];
    for (let item = this.heap.pop(); item; item = this.heap.pop()) (existsAt(item) <= end ? due : rest).push(item);
    for (const item of rest) this.heap.push(item);
    await this.send(due);
    await this.flushSpans();
    await this.delivery.drain();
    this.clock = end;
    this.clockSetAt = this.wall();
  }

  /** Run: catch up with the wall clock (at `speed`), then follow it, until stop(). */
  start(): void {
    const speed = this.opts.speed ?? Infinity;
    const startedWall = this.wall();
    const startedClock = this.clock;
    let caughtUp = false;
    this.loop = (async () => {
      while (!this.stopped) {
        const wall = this.wall();
        const target = Math.min(wall, speed === Infinity ? wall : startedClock + (wall - startedWall) * speed);
        try {
          await this.advanceTo(target);
          if (!caughtUp && target >= wall - 2 * SECOND) {
            caughtUp = true;
            await this.flushSpans();
            await this.delivery.drain();
            this.log(`history delivered up to ${iso(this.clock)} (${this.describeProgress()}); streaming live`);
            this.markLive();
          }
        } catch (e) {
          // the transport refused what was sent (a wrong token, a rejected message): going on would lose data
          this.log(`stopped: ${(e as Error).message}`);
          this.stopped = true;
          this.failure = e as Error;
          this.markLive(this.failure);
          break;
        }
        if (caughtUp) await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
  }

  describeProgress(): string {
    const p = this.progress;
    const events = p.postings + p.snapshots + p.spans;
    const secs = p.elapsedMs / 1000;
    return `${p.postings} posting results, ${p.snapshots} snapshots, ${p.spans} spans in ${secs.toFixed(1)} s, ${Math.round(events / Math.max(secs, 0.001))} events/s`;
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.replays.idle();
    await this.flushSpans().catch(() => undefined);
    await this.traces.shutdown().catch(() => undefined);
    await this.delivery.close();
  }

  // -------------------------------------------------------------------------------------------

  private async send(items: Outgoing[]): Promise<void> {
    // resuming a world: what was due by then went out in the earlier run
    const deliveredUntil = this.opts.deliveredUntil ?? -Infinity;
    const postings: PostingEvent[] = [];
    const snapshots: InventorySnapshot[] = [];
    for (const item of items) {
      if (item.at <= deliveredUntil) continue;
      if (item.kind === 'posting') {
        postings.push(toPostingEvent(item.tx, item.event));
        this.ledger?.posting(item.tx, item.event, item.copy);
      } else if (item.kind === 'snapshot') {
        snapshots.push(item.snapshot);
        this.ledger?.snapshot(item.snapshot);
      } else {
        if (item.part === 'root') {
          this.traces.emitRoot(item.tx, item.attempt);
          this.ledger?.trace();
        } else this.traces.emitAttempt(item.tx, item.attempt);
        this.unflushedSpans += 2;
      }
    }
    this.progress.postings += postings.length;
    this.progress.snapshots += snapshots.length;
    if (postings.length) await this.delivery.postings(postings);
    if (snapshots.length) await this.delivery.inventory(snapshots);
  }

  async flushSpans(): Promise<void> {
    await this.traces.flush().catch((e: unknown) => {
      const why = e instanceof Error && e.message ? e.message : (e as { code?: number })?.code ? `HTTP ${(e as { code: number }).code}` : String(e);
      throw new Error(`span export failed: ${why}${this.traces.stats().lastError ? ` (${this.traces.stats().lastError})` : ''}`);
    });
    this.unflushedSpans = 0;
    this.progress.spans = this.traces.stats().spans;
  }

  // -------------------------------------------------------------------------------------------
  // Replays

  /** Handle a replay request now (in-process or from Kafka); resolves once its result is delivered. */
  requestReplay(r: ReplayRequest): Promise<unknown> {
    return this.replays.push(r);
  }

  private async executeReplay(r: ReplayRequest): Promise<ReplayRecord> {
    const at = Math.max(this.now(), (this.replayLog[this.replayLog.length - 1]?.answeredAt ?? -Infinity) + 1);
    const latency = rng(this.world.seed, 'replay', r.replay_id).int(400, 2_500);
    // answer after the target's real processing time, so `pending` and the answer are seen apart
    await new Promise((res) => setTimeout(res, Math.min(latency, 1_500)));
    const entry: ReplayLogEntry = { request: r, at, answeredAt: at + latency };
    this.replayLog.push(entry);
    return this.applyReplay(entry);
  }

  private async applyLoggedReplays(until: number): Promise<void> {
    while (this.pendingReplays.length && this.pendingReplays[0].at <= until) {
      const entry = this.pendingReplays.shift()!;
      this.replayLog.push(entry);
      await this.applyReplay(entry);
    }
  }

  /** Execute a replay at its instant: post the original message again as attempt n+1, and deliver its results and spans. */
  private async applyReplay(entry: ReplayLogEntry): Promise<ReplayRecord> {
    const { request: r, at, answeredAt } = entry;
    const record: ReplayRecord = { replay_id: r.replay_id, correlation_id: r.correlation_id, replay_of: r.replay_of, attempt: r.attempt, requested_at: iso(at), outcome: 'unknown_transaction', reason: null };
    const tx = transactionForReplay(this.world, r);
    if (!tx) {
      record.reason = 'the request names no transaction this middleware knows and carries no readable payload';
      this.ledger?.replay(record);
      this.log(`replay ${r.replay_id}: ${record.reason}`);
      return record;
    }
    const a: Attempt = { n: r.attempt, replayOf: r.replay_of, acceptedAt: at, calledAt: at + 30, targetDoneAt: answeredAt, middlewareDoneAt: null, events: [], requestedBy: r.requested_by || 'plantline' };
    const ev = (status: TxEvent['status'], reportedAt: number, extra: Partial<TxEvent> = {}): TxEvent => ({
      eventId: `${tx.id}.${r.attempt}.${status}`,
      status,
      attempt: r.attempt,
      replayOf: r.replay_of,
      reportedAt,
      deliveries: [reportedAt],
      ...extra,
    });
    a.events.push(ev('pending', at));
    const alreadyPosted = tx.attempts.flatMap((x) => x.events).find((e) => e.status === 'posted' && e.reportedAt <= at);
    if (alreadyPosted) {
      // the idempotency key protects the target: it answers with the document it already has, and posts nothing
      a.events.push(ev('posted', answeredAt, { documentNo: alreadyPosted.documentNo, noStockEffect: true }));
      record.outcome = 'already_posted';
      record.reason = `already posted as ${alreadyPosted.documentNo}`;
    } else {
      const cause = replayCause(this.world, tx, a.calledAt);
      if (cause) {
        a.events.push(ev('failed', answeredAt, { error: cause }));
        record.outcome = 'failed';
        record.reason = cause.message;
      } else {
        a.events.push(ev('posted', answeredAt, { documentNo: this.world.documentNo(tx) }));
        record.outcome = 'posted';
      }
    }
    tx.attempts.push(a);
    this.world.bookStock(tx, a.events, false);
    if (record.outcome === 'failed') this.world.keptForReplay.set(tx.id, tx);
    const items: Outgoing[] = a.events.map((e) => ({ kind: 'posting', at: e.reportedAt, seq: this.world.nextSeq(), tx, event: e, copy: 0 }));
    items.push({ kind: 'trace', part: 'attempt', at: answeredAt, end: answeredAt, seq: this.world.nextSeq(), tx, attempt: a });
    // (a replay an earlier run already delivered is skipped by send())
    await this.send(items);
    this.ledger?.replay(record);
    await this.flushSpans();
    await this.delivery.drain();
    this.log(`replay of ${r.correlation_id} (attempt ${r.attempt}): ${record.outcome}${record.reason ? ` (${record.reason})` : ''}`);
    return record;
  }

  /** The ledger as JSON, as of the simulated clock. */
  ledgerJSON(opts: { drained: boolean } = { drained: false }) {
    if (!this.ledger) throw new Error('this simulator keeps no ledger (start it with ledger: true)');
    return this.ledger.toJSON(this.clock, { drained: opts.drained, traces: this.traces.stats(), replayCause: (tx, at) => replayCause(this.world, tx, at) });
  }

  get simulatedClock(): number {
    return this.clock;
  }
}
