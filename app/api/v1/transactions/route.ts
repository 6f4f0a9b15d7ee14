import { readRoute } from '@/lib/route';
import { listTransactions, transactionListParams } from '@/queries/listTransactions';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'transactions',
  permission: 'view:transactions',
  params: transactionListParams,
  run: ({ store, filters, scope, params }) => listTransactions(store, filters, scope, params),
});
