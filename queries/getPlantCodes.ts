// The plant codes Plantline has heard from, for the plant filter of every page. The postings table is
// sorted by plant first, so this reads the primary key's first column only.
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import type { Scope } from './filters';

// Every page asks for this list and it changes a few times a year: remember it for a minute per scope.
const cache = new Map<string, { at: number; plants: Promise<string[]> }>();
const CACHE_MS = 60_000;

export function getPlantCodes(store: Store, scope: Scope): Promise<string[]> {
  const key = scope.plants ? scope.plants.join(',') : '*';
  const hit = cache.get(key);
  if (hit && hit.at > Date.now() - CACHE_MS) return hit.plants;
  const plants = readPlantCodes(store, scope);
  cache.set(key, { at: Date.now(), plants });
  // nothing heard yet (a fresh start): ask again next time rather than remember an empty list
  plants.then((list) => list.length === 0 && cache.delete(key), () => cache.delete(key));
  return plants;
}

async function readPlantCodes(store: Store, scope: Scope): Promise<string[]> {
  const scoped = scope.plants ? sql` WHERE plant IN ${param('scope_plants', 'Array(String)', scope.plants)}` : sql``;
  const rows = await queryRows<{ plant: string }>(store, 'getPlantCodes', sql`SELECT DISTINCT plant FROM postings${scoped} ORDER BY plant LIMIT 500`);
  return rows.map((r) => r.plant);
}
