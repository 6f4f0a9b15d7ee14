// `npm run simulate -- --seed 42 --plants 8 --rate 12 --days 7 [--speed 60] [--once] [--ledger ledger.json]`
// Plays a multi-plant manufacturer's plant-to-ERP traffic into Plantline: over Kafka when KAFKA_BROKERS
// is set, otherwise over HTTP to a running app (--url, --token). Backfills `--days` of history, then
// streams live (or stops with --once). Same seed, same start, same events.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DAY, floorHour, iso } from './calendar';
import { HttpDelivery, KafkaDelivery, type Delivery } from './delivery';
import { consumeReplayTopic } from './replay';
import { Simulator } from './simulator';

const USAGE = `usage: npm run simulate -- [options]

  --seed N          world seed (default 42): same seed, start, plants and rate → the same events
  --plants N        how many of the group's 8 plants (default 8)
  --rate N          the group's business transactions per minute (default 12)
  --days N          days of history to backfill before streaming (default 7)
  --start ISO       first instant of the world (default: now − days, on the hour)
  --speed X         simulated time runs X times real time until it reaches now (default: as fast as the store takes it)
  --once            stop after the history instead of streaming live
  --url URL         a running Plantline app (default http://localhost:$PORT or 3000); ignored with KAFKA_BROKERS
  --token T         its ingest token (default $PLANTLINE_INGEST_TOKEN, then ./data/ingest-token)
  --ledger FILE     write the ledger (what was sent, what every number must be) as JSON: at the end, and every minute while streaming

With KAFKA_BROKERS set: postings to plantline.postings.v1 (key correlation_id), snapshots to plantline.inventory.v1
(key plant), spans as OTLP protobuf to otlp_spans, and replay requests consumed from plantline.replay.v1.`;

function fail(message: string): never {
  console.error(`simulate: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function number(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) fail(`--${name} ${raw}: expected a number ≥ ${min}`);
  return n;
}

function defaultToken(): string | undefined {
  if (process.env.PLANTLINE_INGEST_TOKEN) return process.env.PLANTLINE_INGEST_TOKEN;
  const file = path.join(path.resolve(process.env.PLANTLINE_DATA_DIR || './data'), 'ingest-token');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        seed: { type: 'string' },
        plants: { type: 'string' },
        rate: { type: 'string' },
        days: { type: 'string' },
        start: { type: 'string' },
        speed: { type: 'string' },
        once: { type: 'boolean' },
        url: { type: 'string' },
        token: { type: 'string' },
        ledger: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const seed = args.seed ?? '42';
  const plants = Math.round(number('plants', args.plants, 8, 1));
  const rate = number('rate', args.rate, 12, 0.01);
  const days = number('days', args.days, 7, 0);
  const speed = args.speed === undefined ? Infinity : number('speed', args.speed, 1, 0.001);
  const start = args.start === undefined ? floorHour(Date.now() - days * DAY) : Date.parse(args.start);
  if (Number.isNaN(start)) fail(`--start ${args.start}: expected an ISO-8601 instant, e.g. 2026-11-01T00:00:00Z`);
  const log = (m: string) => console.error(`[simulate] ${m}`);

  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  let delivery: Delivery;
  if (brokers.length) {
    delivery = new KafkaDelivery(brokers, { partitions: Number(process.env.PLANTLINE_KAFKA_PARTITIONS) || 6, log });
  } else {
    const url = args.url ?? `http://localhost:${process.env.PORT || 3000}`;
    const token = args.token ?? defaultToken();
    if (!token) fail(`no ingest token: pass --token (the token the app printed at first start, kept in its data directory as ingest-token)`);
    delivery = new HttpDelivery(url, token, { log });
  }

  const sim = new Simulator({ seed, plants, rate, origin: start, days, speed, delivery, ledger: Boolean(args.ledger), log });
  const end = sim.world.origin + days * DAY;
  log(`world ${sim.world.tag}: seed ${seed}, ${sim.world.plants.length} plants, ${rate} transactions/min, history ${iso(sim.world.origin)} → ${iso(end)}, via ${delivery.describe}`);

  let stopReplays: (() => Promise<void>) | null = null;
  if (delivery instanceof KafkaDelivery) {
    stopReplays = await consumeReplayTopic(delivery.kafka, sim.replays, log);
    log('serving replay requests from plantline.replay.v1');
  } else {
    log('over HTTP this process cannot receive replay requests (the app publishes them in-process to its built-in simulator, or to Kafka)');
  }

  const writeLedger = (drained: boolean) => {
    if (!args.ledger) return;
    fs.writeFileSync(args.ledger, JSON.stringify(sim.ledgerJSON({ drained }), null, 1) + '\n');
    log(`ledger written to ${args.ledger} (as of ${iso(sim.simulatedClock)})`);
  };

  if (args.once) {
    await sim.finishAt(Math.min(end, Date.now()));
    log(`history delivered: ${sim.describeProgress()}`);
    writeLedger(true);
    await stopReplays?.();
    await sim.stop();
    return;
  }

  sim.start();
  void sim.ended().then(async () => {
    if (!sim.failure) return;
    console.error(`simulate failed: ${sim.failure.message}`);
    await stopReplays?.();
    await sim.stop().catch(() => undefined);
    process.exit(1);
  });
  const every = args.ledger ? setInterval(() => writeLedger(false), 60_000) : null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    if (every) clearInterval(every);
    await stopReplays?.();
    await sim.stop();
    writeLedger(false);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error(`simulate failed: ${(e as Error).message}`);
  process.exit(1);
});
