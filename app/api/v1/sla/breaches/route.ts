import { readRoute } from '@/lib/route';
import { getSlaBreaches, slaParams } from '@/queries/getSlaBreaches';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'sla-breaches',
  permission: 'view:kpi',
  params: slaParams,
  run: ({ store, filters, scope, params }) => getSlaBreaches(store, filters, scope, params),
});
