// The eight plants of the simulated group and what makes each one different: how its shop floor talks
// to the ERP (modern MES, historian plus custom apps, or terminal transactions), what it makes, when it
// works, how fast its interface answers, and which failures it is prone to.
import { HOUR, localWeekHour } from './calendar';
import { CATALOGUES, type Catalogue } from './masterdata';

export type ShopFloorKind = 'modern_mes' | 'historian_custom' | 'terminal';

export type LatencyProfile = {
  /**
   * Median and spread (log-normal sigma) of the time from the business event to the middleware
   * accepting it. null: the plant posts synchronously (terminal transactions) and the middleware
   * reports no `pending`, only the answer.
   */
  accept: { medianMs: number; sigma: number } | null;
  /** The ERP's answer to a posting, measured from acceptance. */
  erp: { medianMs: number; sigma: number };
  /** The shop-floor system's answer to an order release. */
  shopFloor: { medianMs: number; sigma: number };
};

/** Per-transaction probabilities of each failure cause (see failures.ts for how each plays out). */
export type FailureMix = {
  /** ERP lock on the material or order: recoverable, retried by the middleware. */
  lockConflict: number;
  /** ERP does not answer in time: late post, timeout failure, or (rarely) a double post. */
  timeout: number;
  /** The ERP inbound queue is blocked for hours: pending, posted much later. */
  stuckQueue: number;
  /** A confirmation sent with a unit the routing does not know (validation, persists). */
  invalidUnit: number;
  /** A goods receipt whose batch the ERP does not know yet (master data, resolves when the batch interface catches up). */
  lateBatch: number;
  /** A movement keyed with last month's posting date (period closed, unless reopened). */
  backdated: number;
  /** An order release the shop floor refuses: routing/recipe missing there (master data, created some hours later). */
  routingMissing: number;
};

export type ShiftPattern = {
  label: string;
  /** Working windows in local hours of the week (0 = Sunday 00:00); the end may pass 168. */
  windows: [number, number][];
  /** Relative activity outside the windows (maintenance, dispatch). */
  offShift: number;
  /** Terminal plants key much of the shift's work in its last hour. */
  endOfShiftBurst: boolean;
};

export type Plant = {
  code: string;
  name: string;
  country: string;
  utcOffsetMinutes: number;
  kind: ShopFloorKind;
  production: 'discrete' | 'process';
  catalogue: Catalogue;
  /** OpenTelemetry service.name of the plant's shop-floor system. */
  service: string;
  /** Share of the group's transactions, before shift patterns. */
  weight: number;
  shifts: ShiftPattern;
  latency: LatencyProfile;
  failures: FailureMix;
  /** Shop-floor users; terminal plants have one who lacks the authorization for scrap (movement type 551). */
  users: string[];
  unauthorizedForScrap: string | null;
};

/** Working windows for `days` (0 = Sunday) from `start` to `end` local hours (end > 24 runs into the next day). */
function windows(days: number[], start: number, end: number): [number, number][] {
  return days.map((d) => [d * 24 + start, d * 24 + end]);
}
const MON_FRI = [1, 2, 3, 4, 5];
const MON_SAT = [1, 2, 3, 4, 5, 6];
const ALL_WEEK = [0, 1, 2, 3, 4, 5, 6];

const SHIFTS = {
  continuous: { label: '24/7, three shifts', windows: windows(ALL_WEEK, 0, 24), offShift: 1, endOfShiftBurst: false },
  threeShiftWeekdays: { label: 'three shifts Mon 06:00 to Sat 06:00', windows: windows(MON_FRI, 6, 30), offShift: 0.04, endOfShiftBurst: false },
  twoShiftWeekdays: { label: 'two shifts 06:00-22:00 Mon-Fri', windows: windows(MON_FRI, 6, 22), offShift: 0.04, endOfShiftBurst: false },
  twoShiftSixDays: { label: 'two shifts 06:00-22:00 Mon-Sat', windows: windows(MON_SAT, 6, 22), offShift: 0.04, endOfShiftBurst: true },
  oneShiftWeekdays: { label: 'one shift 07:00-16:00 Mon-Fri', windows: windows(MON_FRI, 7, 16), offShift: 0.03, endOfShiftBurst: true },
} satisfies Record<string, ShiftPattern>;

const LATENCY: Record<ShopFloorKind, LatencyProfile> = {
  // event-driven MES with a message broker: accepted in a fraction of a second
  modern_mes: { accept: { medianMs: 180, sigma: 0.5 }, erp: { medianMs: 1_600, sigma: 0.6 }, shopFloor: { medianMs: 400, sigma: 0.5 } },
  // the middleware polls the historian / custom apps' outbox tables about once a minute
  historian_custom: { accept: { medianMs: 40_000, sigma: 0.7 }, erp: { medianMs: 2_500, sigma: 0.7 }, shopFloor: { medianMs: 20_000, sigma: 0.6 } },
  // operators key transactions on terminals that call the ERP synchronously
  terminal: { accept: null, erp: { medianMs: 3_500, sigma: 0.6 }, shopFloor: { medianMs: 2_000, sigma: 0.5 } },
};

const FAILURES: Record<ShopFloorKind, FailureMix> = {
  modern_mes: { lockConflict: 0.02, timeout: 0.008, stuckQueue: 0.001, invalidUnit: 0, lateBatch: 0.004, backdated: 0, routingMissing: 0.003 },
  historian_custom: { lockConflict: 0.015, timeout: 0.02, stuckQueue: 0.003, invalidUnit: 0.03, lateBatch: 0.03, backdated: 0.002, routingMissing: 0.015 },
  terminal: { lockConflict: 0.01, timeout: 0.012, stuckQueue: 0.002, invalidUnit: 0.01, lateBatch: 0.01, backdated: 0.02, routingMissing: 0.005 },
};

function plant(
  code: string,
  name: string,
  country: string,
  utcOffsetMinutes: number,
  kind: ShopFloorKind,
  catalogue: keyof typeof CATALOGUES,
  weight: number,
  shifts: ShiftPattern,
): Plant {
  const cat = CATALOGUES[catalogue];
  const n = code.slice(1);
  const users = Array.from({ length: 6 }, (_, i) => `${kind === 'terminal' ? 'TRM' : 'MES'}${n}-${String(i + 11)}`);
  return {
    code,
    name,
    country,
    utcOffsetMinutes,
    kind,
    production: /process/.test(cat.industry) ? 'process' : 'discrete',
    catalogue: cat,
    service: `mes-${code.toLowerCase()}`,
    weight,
    shifts,
    latency: LATENCY[kind],
    failures: FAILURES[kind],
    users,
    unauthorizedForScrap: kind === 'terminal' ? users[3] : null,
  };
}

/** The group, in a fixed order: `--plants N` takes the first N. */
export const PLANTS: Plant[] = [
  plant('P01', 'Ludwigsburg', 'DE', 60, 'modern_mes', 'transmissions', 1.6, SHIFTS.threeShiftWeekdays),
  plant('P02', 'Monterrey', 'MX', -360, 'modern_mes', 'coatings', 1.3, SHIFTS.continuous),
  plant('P03', 'Katowice', 'PL', 60, 'historian_custom', 'castings', 1.1, SHIFTS.threeShiftWeekdays),
  plant('P04', 'Tianjin', 'CN', 480, 'historian_custom', 'adhesives', 1.0, SHIFTS.continuous),
  plant('P05', 'Greenville', 'US', -300, 'historian_custom', 'pumps', 0.9, SHIFTS.twoShiftWeekdays),
  plant('P06', 'Porto', 'PT', 0, 'terminal', 'valves', 0.5, SHIFTS.oneShiftWeekdays),
  plant('P07', 'Pune', 'IN', 330, 'terminal', 'chemicals', 0.8, SHIFTS.twoShiftSixDays),
  plant('P08', 'Brno', 'CZ', 60, 'terminal', 'fittings', 0.6, SHIFTS.twoShiftWeekdays),
];

/** Relative activity of a plant at an instant: 1 in shift, less outside, more in a terminal plant's last hour of shift. */
export function activity(p: Plant, ms: number): number {
  const h = localWeekHour(ms, p.utcOffsetMinutes);
  for (const [from, to] of p.shifts.windows) {
    for (const x of [h, h + 168]) {
      if (x >= from && x < to) return p.shifts.endOfShiftBurst && to - x <= 1 ? 3 : 1;
    }
  }
  return p.shifts.offShift;
}

/** Mean activity over a week, to normalise volumes so `--rate` is the group's average. */
export function meanActivity(p: Plant): number {
  let sum = 0;
  const monday = Date.UTC(2026, 0, 5);
  for (let i = 0; i < 168 * 4; i++) sum += activity(p, monday + (i * HOUR) / 4);
  return sum / (168 * 4);
}
