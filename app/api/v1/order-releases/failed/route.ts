import { readRoute } from '@/lib/route';
import { getFailedOrderReleases } from '@/queries/getFailedOrderReleases';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'failed-order-releases',
  permission: 'view:exceptions',
  run: ({ store, filters, scope }) => getFailedOrderReleases(store, filters, scope),
});
