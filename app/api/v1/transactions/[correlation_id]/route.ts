import { readRoute } from '@/lib/route';
import { getTransaction } from '@/queries/getTransaction';

export const dynamic = 'force-dynamic';

export async function GET(request: Request, ctx: { params: Promise<{ correlation_id: string }> }) {
  const { correlation_id } = await ctx.params;
  return readRoute({
    name: 'transaction',
    run: ({ store, filters, scope }) => getTransaction(store, correlation_id, filters, scope),
    csvRows: (t) => t.events,
  })(request);
}
