// Local users (admin): list them, or create one with a role, optional plants and a password.
import { z } from 'zod';
import { actionRoute, readRoute } from '@/lib/route';
import { ROLES } from '@/lib/auth/policy';
import { actorOf, audit, createUser } from '@/lib/auth/directory';
import { findUserByEmail, listUsers } from '@/queries/identity';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'users',
  permission: 'admin',
  run: async ({ store }) => ({ items: await listUsers(store), next_cursor: null }),
});

const newUser = z.object({
  email: z.string().trim().email().max(200),
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  plants: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'expected plant codes')).max(100).default([]),
  password: z.string().min(12, 'at least 12 characters').max(200),
});

export const POST = actionRoute({
  name: 'users.create',
  permission: 'admin',
  body: newUser,
  run: async ({ store, principal, body, ip }) => {
    if (await findUserByEmail(store, body.email)) return { status: 409, body: { error: `a user ${body.email} exists already` } };
    const user_id = await createUser(store, body, actorOf(principal).actor);
    await audit(store, { ...actorOf(principal), action: 'user_created', target: body.email, outcome: 'ok', ip, details: { role: body.role, plants: body.plants } });
    return { status: 201, body: { user_id, email: body.email, name: body.name, role: body.role, plants: body.plants } };
  },
});
