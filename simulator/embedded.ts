// The simulator inside `npm start` (embedded mode): it posts to the app it runs in over HTTP, plays the
// middleware for replays requested in-process, and remembers its world in the data directory so a
// restart continues the same history (same origin, same ids: what was stored already is not sent
// again, and what the app missed while it was down arrives late, like a plant's edge buffer).
import fs from 'node:fs';
import path from 'node:path';
import { DAY, floorHour, iso } from './calendar';
import { HttpDelivery } from './delivery';
import { Kafka, logLevel } from 'kafkajs';
import { consumeReplayTopic, subscribeInProcess } from './replay';
import { Simulator, type ReplayLogEntry } from './simulator';

export type EmbeddedSimulatorOptions = {
  /** The app's own base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  /** The ingest token the app accepts. */
  token: string;
  seed?: number | string;
  /** Days of history to backfill on first start (default 7). */
  days?: number;
  /** The group's business transactions per minute (default 6). */
  rate?: number;
  plants?: number;
  /** With Kafka on, Plantline publishes replay requests on plantline.replay.v1: consume them too (postings still go over HTTP). */
  kafkaBrokers?: string[];
  /** Where the world is remembered across restarts (default PLANTLINE_DATA_DIR/simulator-state.json; null: nowhere). */
  stateFile?: string | null;
  log?: (m: string) => void;
};

type SavedState = {
  format: 'plantline-simulator-state/1';
  seed: string;
  rate: number;
  plants: number;
  days: number;
  origin: string;
  delivered_until: string;
  replays: ReplayLogEntry[];
};

/** A world older than this is started afresh: regenerating it would cost too long at start. */
const MAX_RESUME_AGE = 30 * DAY;
export const EMBEDDED_DEFAULT_RATE = 6;

function readState(file: string | null): SavedState | null {
  if (!file || !fs.existsSync(file)) return null;
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedState;
    return s.format === 'plantline-simulator-state/1' ? s : null;
  } catch {
    return null;
  }
}

/**
 * Start the built-in plant simulator against the app at `url`. Returns at once: the history is
 * backfilled in the background, an hour of simulated time per step with the event loop free in
 * between (the app serves from the first moment), then the simulator streams live.
 */
export async function startEmbeddedSimulator(opts: EmbeddedSimulatorOptions): Promise<{ simulator: Simulator; stop(): Promise<void> }> {
  const log = opts.log ?? ((m: string) => console.log(`[simulator] ${m}`));
  const seed = String(opts.seed ?? 42);
  const days = opts.days ?? 7;
  const rate = opts.rate ?? EMBEDDED_DEFAULT_RATE;
  const plants = opts.plants ?? 8;
  const stateFile = opts.stateFile === undefined ? path.join(path.resolve(process.env.PLANTLINE_DATA_DIR || './data'), 'simulator-state.json') : opts.stateFile;

  const now = Date.now();
  const saved = readState(stateFile);
  const resume = saved && saved.seed === seed && saved.rate === rate && saved.plants === plants && saved.days === days && Date.parse(saved.origin) >= now - MAX_RESUME_AGE ? saved : null;
  const origin = resume ? Date.parse(resume.origin) : floorHour(now - days * DAY);

  const simulator = new Simulator({
    seed,
    plants,
    rate,
    origin,
    days,
    delivery: new HttpDelivery(opts.url, opts.token, { log }),
    deliveredUntil: resume ? Date.parse(resume.delivered_until) : undefined,
    replayLog: resume?.replays,
    log,
  });
  const unsubscribe = subscribeInProcess(simulator.replays);
  // connected in the background: a slow broker must not hold up the app's start
  const kafkaReplays = opts.kafkaBrokers?.length
    ? consumeReplayTopic(new Kafka({ clientId: 'plantline-simulator', brokers: opts.kafkaBrokers, logLevel: logLevel.ERROR }), simulator.replays, log).catch((e: Error) => {
        log(`cannot consume replay requests from Kafka (${e.message}); serving in-process ones only`);
        return null;
      })
    : Promise.resolve(null);

  const save = () => {
    if (!stateFile) return;
    const state: SavedState = {
      format: 'plantline-simulator-state/1',
      seed,
      rate,
      plants,
      days,
      origin: iso(origin),
      delivered_until: iso(Math.max(simulator.simulatedClock, resume ? Date.parse(resume.delivered_until) : -Infinity)),
      replays: simulator.replayLog,
    };
    try {
      fs.mkdirSync(path.dirname(stateFile), { recursive: true });
      fs.writeFileSync(stateFile + '.tmp', JSON.stringify(state));
      fs.renameSync(stateFile + '.tmp', stateFile);
    } catch (e) {
      log(`could not save the simulator state to ${stateFile}: ${(e as Error).message}`);
    }
  };
  const saver = setInterval(save, 60_000);
  saver.unref();

  log(
    resume
      ? `resuming world ${simulator.world.tag} (seed ${seed}, from ${iso(origin)}); already delivered up to ${resume.delivered_until}`
      : `backfilling ${days} days of ${simulator.world.plants.length} plants at ${rate} transactions/min (seed ${seed}, world ${simulator.world.tag}) into ${opts.url}`,
  );
  simulator.start();

  return {
    simulator,
    async stop() {
      clearInterval(saver);
      unsubscribe();
      await (await kafkaReplays)?.();
      await simulator.stop();
      save();
    },
  };
}

