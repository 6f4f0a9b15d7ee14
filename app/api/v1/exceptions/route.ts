import { readRoute } from '@/lib/route';
import { exceptionParams, getExceptions } from '@/queries/getExceptions';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'exceptions',
  permission: 'view:exceptions',
  params: exceptionParams,
  run: ({ store, filters, scope, params }) => getExceptions(store, filters, scope, params),
});
