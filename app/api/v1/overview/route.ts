import { readRoute } from '@/lib/route';
import { getOverview } from '@/queries/getOverview';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'overview',
  permission: 'view:kpi',
  run: ({ store, filters, scope }) => getOverview(store, filters, scope),
  csvRows: (o) => [{ plant: 'all', ...o, by_plant: undefined }, ...o.by_plant].map(({ by_plant: _omit, ...row }: Record<string, unknown>) => row),
});
