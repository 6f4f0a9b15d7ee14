// Who may do what: the roles of the architecture brief and the permission each route asks for.
// The README's permission matrix is this table; keep the two in step (test/auth.test.ts checks the
// routes against it).

export const ROLES = ['viewer', 'plant_it', 'erp_support', 'finance', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
  /** KPI pages: overview, latency, SLA summary */
  'view:kpi': ['viewer', 'plant_it', 'erp_support', 'finance', 'admin'],
  /** plant × flow matrix, plant pages */
  'view:flows': ['plant_it', 'erp_support', 'admin'],
  /** exception queue, aging, failed order releases, SLA breach lists */
  'view:exceptions': ['plant_it', 'erp_support', 'admin'],
  /** one transaction end to end (events, spans, actions), and search */
  'view:transactions': ['plant_it', 'erp_support', 'finance', 'admin'],
  /** the original business message (payload) in drill-down and exports */
  'view:payloads': ['erp_support', 'admin'],
  /** inventory reconciliation */
  'view:inventory': ['finance', 'admin'],
  /** acknowledge, assign, comment, resolve exceptions */
  'act:exceptions': ['plant_it', 'erp_support', 'admin'],
  /** replay a failed posting into ERP */
  'act:replay': ['erp_support', 'admin'],
  /** month-end sign-off */
  'act:signoff': ['finance', 'admin'],
  /** users, API tokens, SLA policies, audit log, rejected messages */
  admin: ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

/** The caller of a request: a signed-in user or an API token, limited to some plants (null: all). */
export type Principal = {
  kind: 'user' | 'token';
  id: string;
  name: string;
  role: Role;
  plants: string[] | null;
};

export function can(principal: Principal, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(principal.role);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
