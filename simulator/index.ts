// The plant simulator's public surface: the embedded entry `npm start` calls, the engine, and the pieces
// tests and tools use (deliveries, the world, the ledger).
export { startEmbeddedSimulator, EMBEDDED_DEFAULT_RATE, type EmbeddedSimulatorOptions } from './embedded';
export { Simulator, type SimulatorOptions, type ReplayLogEntry } from './simulator';
export { World, type WorldOptions } from './world';
export { CaptureDelivery, HttpDelivery, KafkaDelivery, type Delivery } from './delivery';
export { Ledger, type InventoryRow, type ReplayRecord } from './ledger';
export { PLANTS } from './plants';

import { PLANTS as ALL_PLANTS } from './plants';
import { uomConversions } from './masterdata';
/** The unit conversions of the simulated group's material master, as Plantline's configuration expects them. */
export function worldUomConversions(): { material: string; from_uom: string; to_uom: string; factor: number }[] {
  return uomConversions(ALL_PLANTS.flatMap((p) => p.catalogue.materials)).map((c) => ({ material: c.material, from_uom: c.from, to_uom: c.to, factor: c.factor }));
}
