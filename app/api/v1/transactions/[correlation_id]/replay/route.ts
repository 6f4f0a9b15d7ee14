// Replay a failed posting: refused when the transaction is already posted; carries the original
// idempotency key to the middleware (Kafka plantline.replay.v1, or in-process in embedded mode).
import { z } from 'zod';
import { actionRoute } from '@/lib/route';
import { requestReplay } from '@/lib/actions';

export const dynamic = 'force-dynamic';

const body = z.object({ reason: z.string().trim().min(3, 'say why it should be posted again').max(2000) });

export async function POST(request: Request, ctx: { params: Promise<{ correlation_id: string }> }) {
  const { correlation_id } = await ctx.params;
  return actionRoute({
    name: 'transaction.replay',
    permission: 'act:replay',
    body,
    run: ({ store, principal, body: input, ip }) => requestReplay(store, principal, correlation_id, input.reason, ip),
  })(request);
}
