// The plant simulator's public surface: the embedded entry `npm start` calls, the engine, and the pieces
// tests and tools use (deliveries, the world, the ledger).
export { startEmbeddedSimulator, EMBEDDED_DEFAULT_RATE, type EmbeddedSimulatorOptions } from './embedded';
export { Simulator, type SimulatorOptions, type ReplayLogEntry } from './simulator';
export { World, type WorldOptions } from './world';
export { CaptureDelivery, HttpDelivery, KafkaDelivery, type Delivery } from './delivery';
export { Ledger, type InventoryRow, type ReplayRecord } from './ledger';
export { PLANTS } from './plants';
