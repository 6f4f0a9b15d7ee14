import { z } from 'zod';
import { readRoute } from '@/lib/route';
import { searchTransactions } from '@/queries/searchTransactions';

export const dynamic = 'force-dynamic';

const searchParams = z.object({ q: z.string().trim().min(1, 'q: what to look for (order, material, lot, document, correlation or trace id)').max(128) });

export const GET = readRoute({
  name: 'search',
  permission: 'view:transactions',
  params: searchParams,
  run: ({ store, filters, scope, params, search }) => {
    // a search looks back 90 days unless a range is given
    const f = search.has('from') ? filters : { ...filters, from: new Date(filters.to.getTime() - 90 * 24 * 3600 * 1000) };
    return searchTransactions(store, params.q, f, scope);
  },
});
