import { readRoute } from '@/lib/route';
import { getSlaBreaches, slaParams } from '@/queries/getSlaBreaches';

export const dynamic = 'force-dynamic';

// a list of transactions to chase, like the exception queue (the SLA page shows it to the same roles);
// the SLA summary's figures are view:kpi
export const GET = readRoute({
  name: 'sla-breaches',
  permission: 'view:exceptions',
  params: slaParams,
  run: ({ store, filters, scope, params }) => getSlaBreaches(store, filters, scope, params),
});
