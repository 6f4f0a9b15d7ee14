// Why a target system refuses a posting, as a function of the world's state at an instant: the posting
// period, the material master, batches, units, authorizations, and whether the plant can be reached.
// The same rules decide first attempts, the middleware's retries and replays requested from Plantline,
// so a replay succeeds exactly when its cause is gone in the world's timeline.
import { PeriodCalendar, iso } from './calendar';
import type { ErrorInfo, PostingFacts } from './model';
import type { Plant } from './plants';
import { inOutage, isSilent, type Scenario } from './scenario';

export class WorldRules {
  readonly periods: PeriodCalendar;
  /** Batches the ERP learns about late (the batch interface lags): lot → when the ERP batch master exists. */
  private readonly lateBatches = new Map<string, number>();
  /** Orders whose routing/recipe is missing in the shop-floor system until an instant. */
  private readonly missingRoutings = new Map<string, number>();
  private readonly plants: Map<string, Plant>;

  constructor(
    readonly scenario: Scenario,
    plants: Plant[],
  ) {
    this.periods = new PeriodCalendar(scenario.periodReopen);
    this.plants = new Map(plants.map((p) => [p.code, p]));
  }

  batchCreatedLate(lot: string, at: number) {
    this.lateBatches.set(lot, at);
  }

  routingMissingUntil(orderNo: string, at: number) {
    this.missingRoutings.set(orderNo, at);
  }

  /** Why the ERP refuses a posting processed at `at`, or null when it posts. */
  erpRefusal(f: PostingFacts, at: number): ErrorInfo | null {
    if (!this.periods.isOpen(f.plant, f.postingPeriod, at)) {
      return { code: 'M7-053', category: 'period_closed', message: `Posting period ${f.postingPeriod} is closed for plant ${f.plant}; only ${periodsOpenAt(at)} may be posted`, recoverable: false };
    }
    const nm = this.scenario.newMaterial;
    if (nm && f.plant === nm.plant && f.material === nm.material && at < nm.erpCreatedAt) {
      return { code: 'M3-305', category: 'master_data', message: `Material ${f.material} is not maintained in plant ${f.plant}`, recoverable: false };
    }
    const om = this.scenario.obsoleteMaterial;
    if (om && f.plant === om.plant && f.material === om.material) {
      return { code: 'M3-347', category: 'master_data', message: `Material ${f.material} is flagged for deletion in plant ${f.plant}`, recoverable: false };
    }
    const batchAt = f.lot ? this.lateBatches.get(f.lot) : undefined;
    if (batchAt !== undefined && at < batchAt) {
      return { code: 'M7-042', category: 'master_data', message: `Batch ${f.lot} does not exist for material ${f.material} in plant ${f.plant}`, recoverable: true };
    }
    if (f.uom && f.material && !this.unitKnown(f.plant, f.material, f.uom)) {
      return { code: 'CO-UOM', category: 'validation', message: `Unit ${f.uom} is not defined for material ${f.material}; use ${this.unitsOf(f.plant, f.material).join(' or ')}`, recoverable: false };
    }
    const p = this.plants.get(f.plant);
    if (p && f.user && f.user === p.unauthorizedForScrap && f.movementType === '551') {
      return { code: 'M7-121', category: 'authorization', message: `User ${f.user} has no authorization for movement type 551 (scrap) in plant ${f.plant}`, recoverable: false };
    }
    return null;
  }

  /** Why the plant's shop-floor system refuses (or never gets) an order release at `at`. */
  shopFloorRefusal(f: PostingFacts, at: number): ErrorInfo | null {
    const p = this.plants.get(f.plant);
    if (isSilent(this.scenario, f.plant, at)) {
      return { code: 'MW-503', category: 'timeout', message: `${p?.service ?? f.plant} not reachable: no acknowledgement within 300 s`, recoverable: true };
    }
    const routingAt = f.orderNo ? this.missingRoutings.get(f.orderNo) : undefined;
    if (routingAt !== undefined && at < routingAt) {
      return { code: 'MES-RT404', category: 'master_data', message: `Routing for material ${f.material} (order ${f.orderNo}) not found in ${p?.service ?? 'MES'}`, recoverable: false };
    }
    return null;
  }

  shopFloorUnreachable(plant: string, at: number): boolean {
    return inOutage(this.scenario, plant, at) || isSilent(this.scenario, plant, at);
  }

  private unitsOf(plant: string, material: string): string[] {
    const m = this.plants.get(plant)?.catalogue.materials.find((x) => x.code === material);
    if (!m) return [];
    return m.mes ? [m.uom, m.mes.uom] : [m.uom];
  }

  private unitKnown(plant: string, material: string, uom: string): boolean {
    const units = this.unitsOf(plant, material);
    return units.length === 0 || units.includes(uom);
  }
}

function periodsOpenAt(at: number): string {
  return iso(at).slice(0, 7);
}
