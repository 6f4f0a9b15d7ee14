// SLA policies (admin): the thresholds in force per plant and flow, and a plant's override of a flow's
// default (CONTRACT §3). Appended and audited; a past view keeps the policy that was in force then.
import { z } from 'zod';
import { actionRoute, readRoute } from '@/lib/route';
import { FLOWS } from '@/lib/contract';
import { MAX_SLA_MINUTES, MIN_SLA_MINUTES } from '@/lib/sla';
import { actorOf, audit } from '@/lib/auth/directory';
import { setSlaPolicy } from '@/lib/masterConfig';
import { getSlaThresholds } from '@/queries/getSlaThresholds';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'sla-policies',
  permission: 'view:kpi',
  run: async ({ store, filters, scope }) => {
    const { defaults, overrides } = await getSlaThresholds(store, filters, scope);
    return { items: overrides, defaults, next_cursor: null };
  },
});

const policy = z.object({
  plant: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'expected a plant code'),
  flow: z.enum(FLOWS),
  threshold_minutes: z.number().int().min(MIN_SLA_MINUTES).max(MAX_SLA_MINUTES),
});

export const POST = actionRoute({
  name: 'sla-policies.set',
  permission: 'admin',
  body: policy,
  run: async ({ store, principal, body, ip }) => {
    await setSlaPolicy(store, body, actorOf(principal).actor);
    await audit(store, { ...actorOf(principal), action: 'sla_policy_set', target: `${body.plant}/${body.flow}`, plant: body.plant, outcome: 'ok', ip, details: { threshold_minutes: body.threshold_minutes } });
    return { status: 201, body };
  },
});
