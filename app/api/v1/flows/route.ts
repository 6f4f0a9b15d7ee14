import { readRoute } from '@/lib/route';
import { flowParams, getFlowMatrix } from '@/queries/getFlowMatrix';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'flows',
  permission: 'view:flows',
  params: flowParams,
  run: ({ store, filters, scope, params }) => getFlowMatrix(store, filters, scope, params),
});
