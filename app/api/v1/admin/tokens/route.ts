// API tokens (admin): list them (never their values), or create one bound to a role and, optionally,
// to plants. The token is in the answer once and stored only as a hash.
import { z } from 'zod';
import { actionRoute, readRoute } from '@/lib/route';
import { ROLES } from '@/lib/auth/policy';
import { actorOf, audit, createToken } from '@/lib/auth/directory';
import { listTokens } from '@/queries/identity';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'tokens',
  permission: 'admin',
  run: async ({ store }) => ({ items: await listTokens(store), next_cursor: null }),
});

const newToken = z.object({
  name: z.string().trim().min(1).max(64),
  role: z.enum(ROLES),
  plants: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'expected plant codes')).max(100).default([]),
});

export const POST = actionRoute({
  name: 'tokens.create',
  permission: 'admin',
  body: newToken,
  run: async ({ store, principal, body, ip }) => {
    const created = await createToken(store, body, actorOf(principal).actor);
    await audit(store, { ...actorOf(principal), action: 'token_created', target: created.token_id, outcome: 'ok', ip, details: { name: body.name, role: body.role, plants: body.plants } });
    return { status: 201, body: created };
  },
});
