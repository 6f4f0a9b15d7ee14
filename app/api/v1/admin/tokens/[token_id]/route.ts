// Revoke an API token (admin). It stops working within 30 s everywhere, at once in this process.
import { actionRoute } from '@/lib/route';
import { actorOf, audit, revokeToken } from '@/lib/auth/directory';
import { forgetPrincipals } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

export async function DELETE(request: Request, ctx: { params: Promise<{ token_id: string }> }) {
  const { token_id } = await ctx.params;
  return actionRoute({
    name: 'tokens.revoke',
    permission: 'admin',
    run: async ({ store, principal, ip }) => {
      const revoked = await revokeToken(store, token_id);
      forgetPrincipals();
      await audit(store, { ...actorOf(principal), action: 'token_revoked', target: token_id, outcome: revoked ? 'ok' : 'failed', ip });
      return revoked ? { body: { token_id, revoked: true } } : { status: 404, body: { error: 'no live token with that id' } };
    },
  })(request);
}
