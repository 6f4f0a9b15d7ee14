import { readRoute } from '@/lib/route';
import { getInventoryVariance, varianceParams } from '@/queries/getInventoryVariance';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'inventory-variance',
  permission: 'view:inventory',
  params: varianceParams,
  run: ({ store, filters, scope, params }) => getInventoryVariance(store, filters, scope, params),
});
