import { readRoute } from '@/lib/route';
import { getInventoryVariance, varianceParams } from '@/queries/getInventoryVariance';

export const dynamic = 'force-dynamic';

// JSON: one page of keys (limit, cursor) with the totals over all of them; CSV: every key, for month-end
export const GET = readRoute({
  name: 'inventory-variance',
  permission: 'view:inventory',
  params: varianceParams,
  run: ({ store, filters, scope, params, search }) => getInventoryVariance(store, filters, scope, params, { everyKey: search.get('format') === 'csv' }),
});
