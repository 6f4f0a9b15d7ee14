import { readRoute } from '@/lib/route';
import { getSlaSummary } from '@/queries/getSlaSummary';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'sla-summary',
  permission: 'view:kpi',
  run: ({ store, filters, scope }) => getSlaSummary(store, filters, scope),
});
