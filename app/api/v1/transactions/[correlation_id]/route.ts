import { readRoute } from '@/lib/route';
import { can } from '@/lib/auth/policy';
import { getTransaction } from '@/queries/getTransaction';

export const dynamic = 'force-dynamic';

export async function GET(request: Request, ctx: { params: Promise<{ correlation_id: string }> }) {
  const { correlation_id } = await ctx.params;
  return readRoute({
    name: 'transaction',
    permission: 'view:transactions',
    run: ({ store, filters, scope, principal }) => getTransaction(store, correlation_id, filters, scope, { payloads: can(principal, 'view:payloads') }),
    csvRows: (t) => t.events,
  })(request);
}
