// Replay requests: what Plantline asks the middleware to post again. With Kafka they go to
// `plantline.replay.v1` (key = correlation_id); in embedded mode, where there is no broker, the same
// messages are delivered in-process to subscribers (the built-in simulator plays the middleware).
// A replay carries the original idempotency key so the middleware cannot post twice.
import { EventEmitter } from 'node:events';

export type ReplayRequest = {
  /** Unique id of this request (a UUID); the middleware answers with postings whose replay_of is `replay_of`. */
  replay_id: string;
  correlation_id: string;
  /** event_id of the failed attempt being replayed */
  replay_of: string;
  /** The transaction's original idempotency key (the correlation id, unless the source set another): the target must not post twice. */
  idempotency_key: string;
  flow: string;
  plant: string;
  /** The next attempt number the middleware should report. */
  attempt: number;
  /** The original business message, when one was kept (JSON text), for the middleware to send again. */
  payload: string;
  requested_by: string;
  requested_at: string; // ISO-8601 UTC
  reason: string;
};

type Bus = EventEmitter & { __plantlineReplayBus?: true };
const registry = globalThis as typeof globalThis & { __plantlineReplayBus?: Bus };

/** The process-wide in-process replay channel (embedded mode). */
export function replayBus(): Bus {
  registry.__plantlineReplayBus ??= Object.assign(new EventEmitter(), { __plantlineReplayBus: true as const });
  return registry.__plantlineReplayBus;
}

export function onReplayRequest(listener: (r: ReplayRequest) => void): () => void {
  const bus = replayBus();
  bus.on('replay', listener);
  return () => bus.off('replay', listener);
}

export function publishReplayInProcess(r: ReplayRequest): boolean {
  return replayBus().emit('replay', r);
}

/** Where replay requests go: Kafka's plantline.replay.v1 when the ingest runtime has a producer, else in-process. */
export type ReplayPublisher = (r: ReplayRequest) => Promise<'kafka' | 'in-process'>;

const publisherRegistry = globalThis as typeof globalThis & { __plantlineReplayPublisher?: ReplayPublisher };

export function registerReplayPublisher(publisher: ReplayPublisher) {
  publisherRegistry.__plantlineReplayPublisher = publisher;
}

export async function publishReplay(r: ReplayRequest): Promise<'kafka' | 'in-process'> {
  const publisher = publisherRegistry.__plantlineReplayPublisher;
  if (publisher) return publisher(r);
  publishReplayInProcess(r);
  return 'in-process';
}
