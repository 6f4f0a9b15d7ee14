import { readRoute } from '@/lib/route';
import { exceptionParams } from '@/queries/getExceptions';
import { getExceptionAging } from '@/queries/getExceptionAging';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'exception-aging',
  permission: 'view:exceptions',
  params: exceptionParams.omit({ aging: true }),
  run: ({ store, filters, scope, params }) => getExceptionAging(store, filters, scope, params),
});
