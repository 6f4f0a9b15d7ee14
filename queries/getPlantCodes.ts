// The plant codes Plantline has heard from, for the plant filter of every page. The postings table is
// sorted by plant first, so this reads the primary key's first column only.
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import type { Scope } from './filters';

export async function getPlantCodes(store: Store, scope: Scope): Promise<string[]> {
  const scoped = scope.plants ? sql` WHERE plant IN ${param('scope_plants', 'Array(String)', scope.plants)}` : sql``;
  const rows = await queryRows<{ plant: string }>(store, 'getPlantCodes', sql`SELECT DISTINCT plant FROM postings${scoped} ORDER BY plant LIMIT 500`);
  return rows.map((r) => r.plant);
}
