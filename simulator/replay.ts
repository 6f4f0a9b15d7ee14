// The simulator as the middleware that executes replays. Plantline asks for a replay of a failed
// posting (in-process in embedded mode, on `plantline.replay.v1` with Kafka); the middleware posts the
// original message again under its original idempotency key, as attempt n+1 with replay_of = the failed
// event. Whether the target accepts it is decided by the world's rules at that instant: a replay posts
// when the cause is gone (the period was reopened, the material or batch created, the lock released)
// and fails again when it is not (a wrong unit is still wrong, a user still lacks the authorization).
import type { Consumer, Kafka } from 'kafkajs';
import { TOPICS, type Flow } from '../lib/contract';
import { onReplayRequest, type ReplayRequest } from '../ingest/replay';
import { factsFromPayload, transaction } from './flows';
import { STORAGE } from './masterdata';
import type { ErrorInfo, Transaction } from './model';
import { PLANTS } from './plants';
import { hexId } from './random';
import type { World } from './world';

/** What the middleware knows about the transaction a request names: the one it generated, or one rebuilt from the kept payload. */
export function transactionForReplay(world: World, r: ReplayRequest): Transaction | null {
  const known = world.keptForReplay.get(r.correlation_id);
  if (known) return known;
  const plant = world.plants.find((p) => p.code === r.plant) ?? PLANTS.find((p) => p.code === r.plant);
  const facts = factsFromPayload(r.plant, r.flow as Flow, r.payload);
  if (!plant || !facts) return null;
  let message: Record<string, any> = {};
  try {
    message = JSON.parse(r.payload);
  } catch {
    /* facts said it parses */
  }
  const item = (message.item ?? {}) as Record<string, any>;
  const material = plant.catalogue.materials.find((m) => m.code === facts.material) ?? undefined;
  const sign = ({ '101': 1, '261': -1, '551': -1, '601': -1, '311': -1 } as Record<string, 1 | -1>)[facts.movementType ?? ''] ?? 0;
  const tx = transaction({
    id: r.correlation_id,
    // a transaction of this world generated before a restart has a trace id the world derives from its id
    traceId: r.correlation_id.includes(`-${world.tag}-`) ? hexId(16, world.tag, r.correlation_id) : hexId(16, 'replay', r.correlation_id),
    flow: r.flow as Flow,
    plant,
    occurredAt: Date.parse(message.created_at ?? '') || Date.parse(r.requested_at),
    user: facts.user,
    material,
    lot: facts.lot ?? undefined,
    storageLocation: typeof item.storage_location === 'string' ? item.storage_location : STORAGE.rawMaterials,
    quantity: typeof item.quantity === 'number' ? item.quantity : typeof message.yield === 'number' ? message.yield : undefined,
    uom: facts.uom ?? undefined,
    stockSign: sign,
    postingPeriod: facts.postingPeriod,
  });
  tx.orderNo = facts.orderNo;
  tx.facts = facts;
  tx.payload = message;
  return tx;
}

/** Why the target would refuse this transaction's message at `at` (null: it posts). */
export function replayCause(world: World, tx: Transaction, at: number): ErrorInfo | null {
  return tx.flow === 'order_release' ? world.rules.shopFloorRefusal(tx.facts, at) : world.rules.erpRefusal(tx.facts, at);
}

/** Serve replay requests one at a time, in arrival order. */
export class ReplayQueue {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(private readonly handle: (r: ReplayRequest) => Promise<unknown>, private readonly log: (m: string) => void) {}
  push(r: ReplayRequest): Promise<unknown> {
    const next = this.tail.then(() => this.handle(r)).catch((e: Error) => this.log(`replay ${r.replay_id} of ${r.correlation_id} failed: ${e.message}`));
    this.tail = next;
    return next;
  }
  idle(): Promise<unknown> {
    return this.tail;
  }
}

/** Embedded mode: listen on the in-process replay channel. */
export function subscribeInProcess(queue: ReplayQueue): () => void {
  return onReplayRequest((r) => void queue.push(r));
}

/** Kafka mode: consume plantline.replay.v1 (JSON ReplayRequest, key = correlation_id). */
export async function consumeReplayTopic(kafka: Kafka, queue: ReplayQueue, log: (m: string) => void): Promise<() => Promise<void>> {
  const consumer: Consumer = kafka.consumer({ groupId: 'plantline-simulator-middleware' });
  await consumer.connect();
  // from the beginning for a new group: a request made before the middleware first ran is still served
  // (a repeated request posts nothing twice: its events have the same event_ids)
  await consumer.subscribe({ topic: TOPICS.replay, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      try {
        await queue.push(JSON.parse(message.value?.toString('utf8') ?? '') as ReplayRequest);
      } catch (e) {
        log(`ignored a replay request that is not JSON: ${(e as Error).message}`);
      }
    },
  });
  return async () => {
    await consumer.disconnect();
  };
}

