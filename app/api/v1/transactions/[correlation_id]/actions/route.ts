// Act on an exception: acknowledge, assign, comment, resolve, reopen (appended, audited).
import { z } from 'zod';
import { actionRoute } from '@/lib/route';
import { actOnException, EXCEPTION_ACTIONS } from '@/lib/actions';

export const dynamic = 'force-dynamic';

const body = z.object({
  action: z.enum(EXCEPTION_ACTIONS),
  assignee: z.string().trim().min(1).max(200).optional(),
  comment: z.string().trim().max(4000).optional(),
});

export async function POST(request: Request, ctx: { params: Promise<{ correlation_id: string }> }) {
  const { correlation_id } = await ctx.params;
  return actionRoute({
    name: 'transaction.action',
    permission: 'act:exceptions',
    body,
    run: ({ store, principal, body: input, ip }) => actOnException(store, principal, correlation_id, input, ip),
  })(request);
}
