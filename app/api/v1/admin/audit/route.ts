// The audit log (admin): newest first, filtered by time range, actor and action.
import { z } from 'zod';
import { readRoute } from '@/lib/route';
import { listAudit } from '@/queries/identity';

export const dynamic = 'force-dynamic';

const auditParams = z.object({ actor: z.string().max(200).optional(), action: z.string().max(64).optional() });

export const GET = readRoute({
  name: 'audit',
  permission: 'admin',
  params: auditParams,
  run: async ({ store, filters, params }) => {
    return listAudit(store, filters, { actor: params.actor, action: params.action });
  },
});
