import { readRoute } from '@/lib/route';
import { getLatency } from '@/queries/getLatency';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'latency',
  permission: 'view:kpi',
  run: ({ store, filters, scope }) => getLatency(store, filters, scope),
});
