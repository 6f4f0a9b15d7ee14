// Unit conversions per material (admin), for reconciliation: quantity in to_uom = quantity × factor.
import { z } from 'zod';
import { actionRoute, readRoute } from '@/lib/route';
import { actorOf, audit } from '@/lib/auth/directory';
import { listUomConversions, setUomConversion } from '@/lib/masterConfig';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'uom-conversions',
  permission: 'view:inventory',
  run: async ({ store }) => ({ items: await listUomConversions(store), next_cursor: null }),
});

const conversion = z.object({
  material: z.string().min(1).max(128),
  from_uom: z.string().min(1).max(32),
  to_uom: z.string().min(1).max(32),
  factor: z.number().positive().finite(),
});

export const POST = actionRoute({
  name: 'uom-conversions.set',
  permission: 'admin',
  body: conversion,
  run: async ({ store, principal, body, ip }) => {
    await setUomConversion(store, body);
    await audit(store, { ...actorOf(principal), action: 'uom_conversion_set', target: `${body.material} ${body.from_uom}→${body.to_uom}`, outcome: 'ok', ip, details: { factor: body.factor } });
    return { status: 201, body };
  },
});
