// Master data of the simulated group: materials with their units, standard costs and bills of
// material, routings, and the unit conversions kept in the material master. Everything a posting
// refers to (order, operation, material, lot, storage location) comes from here.

export type Uom = 'EA' | 'KG' | 'L';

export type Material = {
  code: string;
  description: string;
  /** The ERP's base unit: ERP stock, ERP snapshots and unit_cost are in it. */
  uom: Uom;
  /** Standard cost per ERP unit. */
  unitCost: number;
  /**
   * The unit the plant's shop-floor system counts in, when it is not the ERP's (the one material the
   * group measures differently): MES stock, MES snapshots and the postings the plant sends use it.
   */
  mes?: { uom: Uom; erpPerMesUnit: number };
};

export type BomItem = { component: string; perUnit: number };
export type Operation = { operation: string; workCenter: string; description: string; minutes: [number, number] };
export type Product = { material: string; bom: BomItem[] };

/** An industry's catalogue: what a plant of this kind makes and from what. */
export type Catalogue = {
  industry: string;
  materials: Material[];
  products: Product[];
  routing: Operation[];
  /** Production order quantity (in the finished material's unit): min, max, step. */
  orderQty: [number, number, number];
};

const op = (operation: string, workCenter: string, description: string, minutes: [number, number]): Operation => ({ operation, workCenter, description, minutes });

export const CATALOGUES: Record<string, Catalogue> = {
  transmissions: {
    industry: 'automatic transmissions (discrete assembly)',
    materials: [
      { code: 'TRN-8HP-45', description: '8-speed automatic transmission 8HP45', uom: 'EA', unitCost: 1480 },
      { code: 'TRN-8HP-75', description: '8-speed automatic transmission 8HP75', uom: 'EA', unitCost: 1725 },
      { code: 'HSG-8HP-AL', description: 'transmission housing, aluminium', uom: 'EA', unitCost: 212.4 },
      { code: 'GST-8HP', description: 'planetary gear set', uom: 'EA', unitCost: 386.75 },
      { code: 'ATF-LV', description: 'automatic transmission fluid, low viscosity', uom: 'L', unitCost: 6.85 },
      { code: 'BLT-M10X40', description: 'hex bolt M10x40 10.9', uom: 'EA', unitCost: 0.14 },
    ],
    products: [
      { material: 'TRN-8HP-45', bom: [{ component: 'HSG-8HP-AL', perUnit: 1 }, { component: 'GST-8HP', perUnit: 1 }, { component: 'ATF-LV', perUnit: 8.5 }, { component: 'BLT-M10X40', perUnit: 26 }] },
      { material: 'TRN-8HP-75', bom: [{ component: 'HSG-8HP-AL', perUnit: 1 }, { component: 'GST-8HP', perUnit: 1 }, { component: 'ATF-LV', perUnit: 9.2 }, { component: 'BLT-M10X40', perUnit: 30 }] },
    ],
    routing: [op('0010', 'ASM-1', 'pre-assemble gear set', [25, 60]), op('0020', 'ASM-2', 'main assembly', [40, 90]), op('0030', 'EOL-1', 'oil fill and end-of-line test', [20, 45])],
    orderQty: [20, 120, 5],
  },
  coatings: {
    industry: 'waterborne coatings (process, batch)',
    materials: [
      { code: 'PNT-WB-9010', description: 'waterborne paint RAL 9010', uom: 'KG', unitCost: 4.85 },
      { code: 'PNT-WB-7016', description: 'waterborne paint RAL 7016', uom: 'KG', unitCost: 5.1 },
      { code: 'RES-ACR-50', description: 'acrylic resin dispersion 50%', uom: 'KG', unitCost: 2.12 },
      { code: 'PIG-TIO2-R', description: 'titanium dioxide, rutile', uom: 'KG', unitCost: 3.4 },
      { code: 'SOL-BGL', description: 'butyl glycol', uom: 'L', unitCost: 1.92 },
      { code: 'PKG-PAIL-20', description: '20 L pail with lid', uom: 'EA', unitCost: 1.15 },
    ],
    products: [
      { material: 'PNT-WB-9010', bom: [{ component: 'RES-ACR-50', perUnit: 0.42 }, { component: 'PIG-TIO2-R', perUnit: 0.22 }, { component: 'SOL-BGL', perUnit: 0.06 }, { component: 'PKG-PAIL-20', perUnit: 0.05 }] },
      { material: 'PNT-WB-7016', bom: [{ component: 'RES-ACR-50', perUnit: 0.45 }, { component: 'PIG-TIO2-R', perUnit: 0.12 }, { component: 'SOL-BGL', perUnit: 0.07 }, { component: 'PKG-PAIL-20', perUnit: 0.05 }] },
    ],
    routing: [op('0010', 'KT-1', 'dispense raw materials', [40, 90]), op('0020', 'MX-2', 'disperse and let down', [60, 150]), op('0030', 'FL-1', 'QC release and filling', [40, 100])],
    orderQty: [1000, 4000, 50],
  },
  castings: {
    industry: 'aluminium castings (discrete, foundry and machining)',
    materials: [
      { code: 'CST-HSG-220', description: 'gearbox housing casting 220', uom: 'EA', unitCost: 96.3 },
      { code: 'CST-HSG-310', description: 'gearbox housing casting 310', uom: 'EA', unitCost: 131.8 },
      { code: 'CST-HSG-310B', description: 'gearbox housing casting 310, rev. B', uom: 'EA', unitCost: 131.8 },
      { code: 'ALU-A356', description: 'aluminium alloy A356 ingot', uom: 'KG', unitCost: 2.46 },
      { code: 'COR-SND-220', description: 'sand core set 220', uom: 'EA', unitCost: 3.85 },
      { code: 'COR-SND-310', description: 'sand core set 310', uom: 'EA', unitCost: 4.6 },
      { code: 'CTG-RFR', description: 'refractory core coating', uom: 'KG', unitCost: 5.6 },
    ],
    products: [
      { material: 'CST-HSG-220', bom: [{ component: 'ALU-A356', perUnit: 11.8 }, { component: 'COR-SND-220', perUnit: 2 }, { component: 'CTG-RFR', perUnit: 0.1 }] },
      { material: 'CST-HSG-310', bom: [{ component: 'ALU-A356', perUnit: 16.4 }, { component: 'COR-SND-310', perUnit: 2 }, { component: 'CTG-RFR', perUnit: 0.14 }] },
    ],
    routing: [op('0010', 'CS-1', 'core setting', [20, 45]), op('0020', 'PO-1', 'pouring and cooling', [45, 120]), op('0030', 'MC-3', 'fettling and machining', [30, 90]), op('0040', 'QI-1', 'X-ray and dimensional inspection', [15, 40])],
    orderQty: [40, 240, 10],
  },
  adhesives: {
    industry: 'polyurethane and epoxy adhesives (process, batch)',
    materials: [
      { code: 'ADH-PU-2K', description: 'two-component PU adhesive', uom: 'KG', unitCost: 7.4 },
      { code: 'ADH-EP-5M', description: 'epoxy adhesive, 5 min', uom: 'KG', unitCost: 9.15 },
      { code: 'POL-3000', description: 'polyether polyol 3000', uom: 'KG', unitCost: 2.85 },
      { code: 'ISO-MDI', description: 'polymeric MDI', uom: 'KG', unitCost: 2.31 },
      { code: 'FIL-CACO3', description: 'calcium carbonate filler', uom: 'KG', unitCost: 0.21 },
      { code: 'PKG-CART-310', description: '310 ml cartridge', uom: 'EA', unitCost: 0.38 },
    ],
    products: [
      { material: 'ADH-PU-2K', bom: [{ component: 'POL-3000', perUnit: 0.55 }, { component: 'ISO-MDI', perUnit: 0.3 }, { component: 'FIL-CACO3', perUnit: 0.15 }, { component: 'PKG-CART-310', perUnit: 2.6 }] },
      { material: 'ADH-EP-5M', bom: [{ component: 'POL-3000', perUnit: 0.35 }, { component: 'ISO-MDI', perUnit: 0.45 }, { component: 'FIL-CACO3', perUnit: 0.2 }, { component: 'PKG-CART-310', perUnit: 2.6 }] },
    ],
    routing: [op('0010', 'RX-1', 'charge reactor', [30, 60]), op('0020', 'RX-1', 'react and degas', [60, 180]), op('0030', 'FL-2', 'cartridge filling', [45, 120])],
    orderQty: [500, 2500, 50],
  },
  pumps: {
    industry: 'centrifugal pumps (discrete assembly)',
    materials: [
      { code: 'PMP-CN-50', description: 'centrifugal pump CN 50', uom: 'EA', unitCost: 845 },
      { code: 'PMP-CN-80', description: 'centrifugal pump CN 80', uom: 'EA', unitCost: 1190 },
      { code: 'IMP-50', description: 'impeller 50, bronze', uom: 'EA', unitCost: 64.2 },
      { code: 'IMP-80', description: 'impeller 80, bronze', uom: 'EA', unitCost: 88.9 },
      { code: 'MOT-4KW', description: 'IE3 motor 4 kW', uom: 'EA', unitCost: 318 },
      { code: 'SKT-MS-2', description: 'mechanical seal kit, rev. 2', uom: 'EA', unitCost: 42.5 },
      { code: 'SKT-MS-1', description: 'mechanical seal kit, rev. 1 (obsolete, flagged for deletion)', uom: 'EA', unitCost: 39.9 },
      { code: 'GRS-LI2', description: 'lithium grease NLGI 2', uom: 'KG', unitCost: 8.9 },
    ],
    products: [
      { material: 'PMP-CN-50', bom: [{ component: 'IMP-50', perUnit: 1 }, { component: 'MOT-4KW', perUnit: 1 }, { component: 'SKT-MS-2', perUnit: 1 }, { component: 'GRS-LI2', perUnit: 0.05 }] },
      { material: 'PMP-CN-80', bom: [{ component: 'IMP-80', perUnit: 1 }, { component: 'MOT-4KW', perUnit: 1 }, { component: 'SKT-MS-2', perUnit: 1 }, { component: 'GRS-LI2', perUnit: 0.07 }] },
    ],
    routing: [op('0010', 'AS-1', 'rotor assembly', [30, 70]), op('0020', 'AS-2', 'final assembly', [40, 90]), op('0030', 'HT-1', 'hydraulic test', [20, 40])],
    orderQty: [10, 60, 2],
  },
  valves: {
    industry: 'ball valves (discrete, machining and assembly)',
    materials: [
      { code: 'VLV-BL-DN50', description: 'ball valve DN50 PN40', uom: 'EA', unitCost: 118 },
      { code: 'VLV-BL-DN80', description: 'ball valve DN80 PN40', uom: 'EA', unitCost: 176 },
      { code: 'BDY-DN50', description: 'valve body DN50, cast steel', uom: 'EA', unitCost: 41.2 },
      { code: 'BDY-DN80', description: 'valve body DN80, cast steel', uom: 'EA', unitCost: 63.5 },
      { code: 'BAL-DN50', description: 'ball DN50, stainless', uom: 'EA', unitCost: 18.4 },
      { code: 'BAL-DN80', description: 'ball DN80, stainless', uom: 'EA', unitCost: 29.7 },
      { code: 'SEA-PTFE', description: 'PTFE seat ring', uom: 'EA', unitCost: 1.95 },
    ],
    products: [
      { material: 'VLV-BL-DN50', bom: [{ component: 'BDY-DN50', perUnit: 1 }, { component: 'BAL-DN50', perUnit: 1 }, { component: 'SEA-PTFE', perUnit: 2 }] },
      { material: 'VLV-BL-DN80', bom: [{ component: 'BDY-DN80', perUnit: 1 }, { component: 'BAL-DN80', perUnit: 1 }, { component: 'SEA-PTFE', perUnit: 2 }] },
    ],
    routing: [op('0010', 'MC-1', 'machining', [30, 80]), op('0020', 'AS-1', 'assembly', [30, 60]), op('0030', 'PT-1', 'shell and seat pressure test', [15, 35])],
    orderQty: [20, 150, 5],
  },
  chemicals: {
    industry: 'detergent bases (process, batch)',
    materials: [
      { code: 'DET-BASE-A', description: 'detergent base A', uom: 'KG', unitCost: 1.35 },
      { code: 'SOF-CONC-B', description: 'softener concentrate B', uom: 'KG', unitCost: 1.62 },
      // The one material measured differently: the plant counts 25 kg bags, the ERP keeps kilograms.
      { code: 'SDA-ASH-25', description: 'soda ash, dense, 25 kg bag', uom: 'KG', unitCost: 0.31, mes: { uom: 'EA', erpPerMesUnit: 25 } },
      { code: 'SRF-LAS', description: 'linear alkylbenzene sulfonic acid', uom: 'KG', unitCost: 1.42 },
      { code: 'PRF-CIT', description: 'citrus perfume oil', uom: 'KG', unitCost: 12.8 },
      { code: 'PKG-DRM-200', description: '200 L plastic drum', uom: 'EA', unitCost: 18.5 },
    ],
    products: [
      { material: 'DET-BASE-A', bom: [{ component: 'SDA-ASH-25', perUnit: 0.18 }, { component: 'SRF-LAS', perUnit: 0.22 }, { component: 'PRF-CIT', perUnit: 0.004 }, { component: 'PKG-DRM-200', perUnit: 0.005 }] },
      { material: 'SOF-CONC-B', bom: [{ component: 'SDA-ASH-25', perUnit: 0.05 }, { component: 'SRF-LAS', perUnit: 0.3 }, { component: 'PRF-CIT', perUnit: 0.006 }, { component: 'PKG-DRM-200', perUnit: 0.005 }] },
    ],
    routing: [op('0010', 'RV-1', 'charge vessel', [30, 60]), op('0020', 'RV-1', 'neutralise and blend', [60, 150]), op('0030', 'DF-1', 'drum filling', [40, 90])],
    orderQty: [2000, 8000, 200],
  },
  fittings: {
    industry: 'copper press fittings (discrete, forming)',
    materials: [
      { code: 'FIT-ELB-22', description: 'press fitting elbow 90° 22 mm', uom: 'EA', unitCost: 1.84 },
      { code: 'FIT-TEE-22', description: 'press fitting tee 22 mm', uom: 'EA', unitCost: 2.37 },
      { code: 'CU-TUBE-22', description: 'copper tube 22 mm, hard', uom: 'KG', unitCost: 9.1 },
      { code: 'EPDM-OR-22', description: 'EPDM O-ring 22 mm', uom: 'EA', unitCost: 0.04 },
    ],
    products: [
      { material: 'FIT-ELB-22', bom: [{ component: 'CU-TUBE-22', perUnit: 0.06 }, { component: 'EPDM-OR-22', perUnit: 2 }] },
      { material: 'FIT-TEE-22', bom: [{ component: 'CU-TUBE-22', perUnit: 0.09 }, { component: 'EPDM-OR-22', perUnit: 3 }] },
    ],
    routing: [op('0010', 'PR-1', 'forming', [30, 70]), op('0020', 'AN-1', 'cleaning and annealing', [40, 90]), op('0030', 'PK-1', 'O-ring insertion and packing', [20, 50])],
    orderQty: [500, 3000, 100],
  },
};

/** Storage locations: the plant's shop-floor system keeps stock in RM01 and FG01 too (those are reconciled); DC01 is the distribution centre. */
export const STORAGE = {
  rawMaterials: 'RM01',
  finishedGoods: 'FG01',
  distributionCentre: 'DC01',
} as const;

/** How many milli-units a quantity has: every quantity is held as whole milli-units so sums are exact. */
export const MILLI = 1000;
export const toMilli = (q: number): number => Math.round(q * MILLI);
export const fromMilli = (m: number): number => m / MILLI;

/** Round a component quantity to what a plant would book: whole pieces for EA, grams for KG and L. */
export function bookable(q: number, uom: Uom): number {
  return uom === 'EA' ? Math.max(1, Math.ceil(q - 1e-9)) : Math.max(0.001, Math.round(q * 1000) / 1000);
}

/** Conversions kept in the material master (alternative units): what reconciliation needs to compare MES and ERP. */
export type UomConversion = { material: string; from: Uom; to: Uom; factor: number; note: string };

export function uomConversions(materials: Iterable<Material>): UomConversion[] {
  const out: UomConversion[] = [];
  for (const m of materials) {
    if (m.mes) out.push({ material: m.code, from: m.mes.uom, to: m.uom, factor: m.mes.erpPerMesUnit, note: `the plant counts ${m.mes.uom}, the ERP keeps ${m.uom}` });
  }
  // Generic alternative units of the group's liquids (density), kept for completeness of the master.
  out.push({ material: 'ATF-LV', from: 'L', to: 'KG', factor: 0.85, note: 'density 0.85 kg/L' });
  out.push({ material: 'SOL-BGL', from: 'L', to: 'KG', factor: 0.9, note: 'density 0.90 kg/L' });
  return out;
}
