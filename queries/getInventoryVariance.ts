// Month-end reconciliation (CONTRACT §3 "Inventory variance", §4 /api/v1/inventory/variance): for
// each (plant, storage_location, material, lot), the latest MES and ERP balances at the cut-off, their
// difference and its value, and what explains it — ERP-bound postings still pending or failed at the
// cut-off, and postings the ERP took twice — leaving a residual that nothing explains (a manual ERP
// change, a unit mismatch, a missing interface), which is flagged. Quantities are converted to the
// ERP unit with uom_conversions; a pair with no conversion is flagged and not summed (for postings:
// when their effects in that unit do not sum to zero). Sums are exact
// (Decimal).
import { z } from 'zod';
import { param, queryRows, raw, sql, type Store } from '../clickhouse/client';
import { BadRequest, chTime, instant, isoFromCh, keyConditions, nextCursor, type Filters, type Scope } from './filters';
import { EXPLAINED_SUMS, inventoryKeyParts, inventoryTransactionsSql } from './inventory';
import { planKpi, rawRestriction, trustedHoursSql } from './kpiRollup';

export const varianceParams = z.object({
  as_of: instant.optional(),
  material: z.string().max(128).optional(),
  /** `unexplained`: flagged keys only; `variance`: keys whose variance has a value (what the variance value adds up) */
  only: z.enum(['all', 'unexplained', 'variance']).default('all'),
  /** `key`: plant, storage location, material, lot; `attention`: flagged keys first, then the largest values */
  sort: z.enum(['key', 'attention']).default('key'),
});
export type VarianceParams = z.infer<typeof varianceParams>;

export type VarianceRow = {
  plant: string;
  storage_location: string;
  material: string;
  lot: string;
  uom: string;
  mes_qty: number | null;
  erp_qty: number | null;
  variance: number | null;
  value: number | null;
  explained_pending: number;
  explained_failed: number;
  explained_duplicate: number;
  residual: number | null;
  flags: string[];
};

/** Over every key selected (all pages): how many, how many flagged, their value, and the value of their unexplained residuals. */
/**
 * Over every key selected: `value` and `unexplained_value` net the keys' signs (what the books are off by
 * in all); `value_abs` and `unexplained_value_abs` add them up unsigned (how much is wrong, an excess in one
 * place and a shortage in another not cancelling out).
 */
export type VarianceTotals = { keys: number; flagged: number; value: number; value_abs: number; unexplained_value: number; unexplained_value_abs: number };

// the columns of a variance row, in the order the page's tuples carry them
const ROW_COLUMNS = ['plant', 'storage_location', 'material', 'lot', 'uom', 'mes_qty', 'erp_qty', 'variance', 'value', 'explained_pending', 'explained_failed', 'explained_duplicate', 'residual', 'flags'] as const;
// what each order sorts the row tuples by before the row's own columns (the key parts make it total)
const SORT_PREFIX: Record<VarianceParams['sort'], string[]> = { key: [], attention: ['empty(flags)', '-abs(ifNull(value, 0))'] };
/** The CSV export holds every key (month-end reconciliation), up to this many. */
export const EXPORT_MAX_KEYS = 1_000_000;

/**
 * One page of keys (`f.limit` from `f.offset`, in `p.sort` order) and the totals over every key selected.
 * `everyKey`: the whole list from the start (the CSV export), up to EXPORT_MAX_KEYS.
 */
/**
 * The latest stock count at or before `at`: the newest instant at which both MES and ERP balances were
 * taken (of the plants in scope and filter, and the material when given), or null. A cut-off there
 * compares balances and postings of one moment; a later one counts postings the balances do not hold yet.
 */
export async function latestStockCount(store: Store, f: Filters, scope: Scope, material?: string): Promise<string | null> {
  const materialFilter = material ? sql` AND material = ${param('material', 'String', material)}` : sql``;
  const plantFilter = [...keyConditions({ ...f, flows: [] }, scope)].reduce((a, c) => sql`${a} AND ${c}`, materialFilter);
  const rows = await queryRows<{ as_of: string }>(
    store,
    'getInventoryVariance.latestStockCount',
    sql`SELECT as_of FROM inventory_snapshots
        WHERE as_of <= ${param('at', "DateTime64(3, 'UTC')", chTime(f.at))} AND system IN ('MES', 'ERP')${plantFilter}
        GROUP BY as_of HAVING uniqExact(system) = 2 ORDER BY as_of DESC LIMIT 1`,
  );
  return rows.length ? isoFromCh(rows[0].as_of) : null;
}

export async function getInventoryVariance(
  store: Store,
  f: Filters,
  scope: Scope,
  p: Partial<VarianceParams>,
  opts: { rollups?: boolean; everyKey?: boolean } = {},
): Promise<{ items: VarianceRow[]; next_cursor: string | null; as_of: string; totals: VarianceTotals }> {
  // a cut-off after `at` would count postings and balances that did not exist yet at `at`
  if (p.as_of && p.as_of.getTime() > f.at.getTime()) {
    throw new BadRequest([`as_of: ${p.as_of.toISOString()} is after at (${f.at.toISOString()}): balances and postings after at are not known yet`]);
  }
  const cutoffDate = p.as_of ?? f.at;
  const cutoff = param('cutoff', "DateTime64(3, 'UTC')", chTime(cutoffDate));
  // the variance is per plant and inventory key: the flow filter does not apply
  const materialFilter = p.material ? sql` AND material = ${param('material', 'String', p.material)}` : sql``;
  const plantFilter = [...keyConditions({ ...f, flows: [] }, scope)].reduce((a, c) => sql`${a} AND ${c}`, materialFilter);
  // the explained parts: per (plant, flow, hour) from the KPI rollup rows where they may answer for the
  // cut-off (every event in and nothing after it: planKpi), raw transactions for the rest
  // postings count up to and including the cut-off: the plan's range ends 1 ms after it
  const planFilters: Filters = { ...f, flows: [], from: new Date(0), to: new Date(cutoffDate.getTime() + 1), at: cutoffDate };
  const plan = await planKpi(store, planFilters, scope, opts);
  const restriction = rawRestriction(planFilters, plan);
  const rawRows = sql`
SELECT tx_plant AS plant, tx_storage_location AS storage_location, tx_material AS material, tx_lot AS lot, tx_uom AS uom,
       pending AS x_pending, failed AS x_failed, duplicate AS x_duplicate
FROM (
  SELECT tx_plant, tx_storage_location, tx_material, tx_lot, tx_uom, ${EXPLAINED_SUMS}
  FROM (${inventoryTransactionsSql(cutoffDate, restriction === 'all' ? sql`1${plantFilter}` : restriction === 'none' ? sql`0` : sql`${restriction}${plantFilter}`)})
  GROUP BY tx_plant, tx_storage_location, tx_material, tx_lot, tx_uom
)`;
  const hours = plan.hours;
  // the rollup's effects: the newest build of each trusted hour (kpi_hourly FINAL) holds them per key
  // (migration 013), summed per key text (plant included) first and split into the key's parts after,
  // where the material filter applies as on the raw rows
  const explainedRows = !hours || restriction === 'all'
    ? rawRows
    : sql`${rawRows}
UNION ALL
SELECT ${inventoryKeyParts('i_key')}, x_pending, x_failed, x_duplicate
FROM (
  SELECT i_key, sum(i_pending) AS x_pending, sum(i_failed) AS x_failed, sum(i_duplicate) AS x_duplicate
  FROM (
    SELECT inventory_keys, inventory_pending, inventory_failed, inventory_duplicate
    FROM kpi_hourly FINAL
    WHERE ${trustedHoursSql('kpi_hourly', planFilters, scope, { ...plan, hours })} AND notEmpty(inventory_keys)
  )
  ARRAY JOIN inventory_keys AS i_key, inventory_pending AS i_pending, inventory_failed AS i_failed, inventory_duplicate AS i_duplicate
  GROUP BY i_key
)
WHERE 1${materialFilter}`;
  const prefix = SORT_PREFIX[p.sort ?? 'key'];
  const offset = opts.everyKey ? 0 : f.offset;
  const limit = opts.everyKey ? EXPORT_MAX_KEYS : f.limit;
  // the page is the keys' first offset + limit tuples in sort order (groupArraySorted keeps only those),
  // taken in the same pass as the totals over every key; the key parts make the order total
  const [result] = await queryRows<{ keys: string; flagged: string; total_value: string | number; unexplained_value: string | number; value_abs: string | number; unexplained_value_abs: string | number; page: unknown[][] }>(
    store,
    'getInventoryVariance',
    sql`
WITH
conversions AS (
  SELECT material, from_uom, to_uom, argMax(factor, changed_at) AS factor
  FROM uom_conversions WHERE changed_at <= ${cutoff} GROUP BY material, from_uom, to_uom
),
latest AS (
  SELECT plant, storage_location, material, lot, system,
         argMax(quantity, as_of) AS qty, argMax(uom, as_of) AS uom, argMax(unit_cost, as_of) AS unit_cost
  FROM inventory_snapshots
  WHERE as_of <= ${cutoff} AND system IN ('MES', 'ERP')${plantFilter}
  GROUP BY plant, storage_location, material, lot, system
),
sides AS (
  SELECT plant, storage_location, material, lot,
         countIf(system = 'MES') > 0 AS has_mes, anyIf(qty, system = 'MES') AS mes_raw, anyIf(uom, system = 'MES') AS mes_uom,
         countIf(system = 'ERP') > 0 AS has_erp, anyIf(qty, system = 'ERP') AS erp_qty, anyIf(uom, system = 'ERP') AS erp_uom,
         anyIf(unit_cost, system = 'ERP') AS erp_unit_cost
  FROM latest GROUP BY plant, storage_location, material, lot
),
explained AS (
  -- a unit whose effects sum to nothing explains nothing (and needs no conversion); the rollup keeps
  -- only non-zero sums per hour, so both paths drop zero totals here
  SELECT plant, storage_location, material, lot, uom, sum(x_pending) AS pending, sum(x_failed) AS failed, sum(x_duplicate) AS duplicate
  FROM (${explainedRows})
  GROUP BY plant, storage_location, material, lot, uom
  HAVING pending != 0 OR failed != 0 OR duplicate != 0
),
joined AS (
  SELECT s.plant AS plant, s.storage_location AS storage_location, s.material AS material, s.lot AS lot,
         if(s.has_erp, s.erp_uom, s.mes_uom) AS uom,
         s.has_mes AS has_mes, s.has_erp AS has_erp, s.erp_qty AS erp_qty, s.erp_unit_cost AS erp_unit_cost,
         if(s.mes_uom = uom, toDecimal128(1, 9), mc.factor) AS mes_factor, s.mes_raw AS mes_raw,
         if(e.uom = '' OR e.uom = uom, toDecimal128(1, 9), ec.factor) AS posting_factor,
         e.pending AS pending, e.failed AS failed, e.duplicate AS duplicate, e.uom AS posting_uom
  FROM sides AS s
  LEFT JOIN explained AS e ON e.plant = s.plant AND e.storage_location = s.storage_location AND e.material = s.material AND e.lot = s.lot
  LEFT JOIN conversions AS mc ON mc.material = s.material AND mc.from_uom = s.mes_uom AND mc.to_uom = if(s.has_erp, s.erp_uom, s.mes_uom)
  LEFT JOIN conversions AS ec ON ec.material = s.material AND ec.from_uom = e.uom AND ec.to_uom = if(s.has_erp, s.erp_uom, s.mes_uom)
  SETTINGS join_use_nulls = 1
),
per_key AS (
  -- one row per key: postings in several units of a material (say KG and G) joined one row per unit,
  -- each converted to the key's unit here and summed; a unit without a conversion adds nothing and flags the key
  SELECT plant, storage_location, material, lot, any(uom) AS uom, any(has_mes) AS has_mes, any(has_erp) AS has_erp,
         any(erp_qty) AS erp_qty, any(erp_unit_cost) AS erp_unit_cost, any(mes_factor) AS mes_factor, any(mes_raw) AS mes_raw,
         sum(toDecimal128(ifNull(pending, 0) * ifNull(posting_factor, 0), 6)) AS x_pending,
         sum(toDecimal128(ifNull(failed, 0) * ifNull(posting_factor, 0), 6)) AS x_failed,
         sum(toDecimal128(ifNull(duplicate, 0) * ifNull(posting_factor, 0), 6)) AS x_duplicate,
         max(posting_uom IS NOT NULL AND posting_uom != '' AND posting_factor IS NULL) AS unconverted_postings
  FROM joined
  GROUP BY plant, storage_location, material, lot
),
keyed AS (
SELECT plant, storage_location, material, lot, uom, erp_unit_cost,
       if(has_mes AND mes_factor IS NOT NULL, toDecimal128(mes_raw * mes_factor, 6), NULL) AS mes_qty,
       if(has_erp, toDecimal128(erp_qty, 6), NULL) AS erp_qty,
       toDecimal128(x_pending, 6) AS explained_pending,
       toDecimal128(x_failed, 6) AS explained_failed,
       toDecimal128(x_duplicate, 6) AS explained_duplicate,
       mes_qty - erp_qty AS variance,
       toDecimal128(variance * erp_unit_cost, 6) AS value,
       variance - explained_pending - explained_failed - explained_duplicate AS residual,
       arrayFilter(x -> x != '', [
         if(NOT has_mes, 'missing_mes', ''),
         if(NOT has_erp, 'missing_erp', ''),
         if(has_mes AND mes_factor IS NULL, 'no_conversion', ''),
         if(unconverted_postings, 'no_conversion_postings', ''),
         if(residual IS NOT NULL AND residual != 0, 'unexplained', '')]) AS flags
FROM per_key
)
SELECT count() AS keys, countIf(notEmpty(flags)) AS flagged, sum(value) AS total_value,
       sumIf(residual * erp_unit_cost, has(flags, 'unexplained')) AS unexplained_value,
       sum(abs(value)) AS value_abs, sumIf(abs(residual * erp_unit_cost), has(flags, 'unexplained')) AS unexplained_value_abs,
       arraySlice(groupArraySorted(${param('take', 'UInt32', offset + limit)})((${raw([...prefix, ...ROW_COLUMNS].join(', '))})),
                  ${param('offset', 'UInt32', offset)} + 1) AS page
FROM keyed
${p.only === 'unexplained' ? sql`WHERE notEmpty(flags)` : p.only === 'variance' ? sql`WHERE ifNull(value, 0) != 0` : sql``}`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const items: VarianceRow[] = result.page.map((t) => {
    const r = Object.fromEntries(ROW_COLUMNS.map((c, i) => [c, t[prefix.length + i]])) as Record<(typeof ROW_COLUMNS)[number], unknown>;
    return {
      plant: String(r.plant),
      storage_location: String(r.storage_location),
      material: String(r.material),
      lot: String(r.lot),
      uom: String(r.uom),
      mes_qty: num(r.mes_qty),
      erp_qty: num(r.erp_qty),
      variance: num(r.variance),
      value: num(r.value),
      explained_pending: Number(r.explained_pending),
      explained_failed: Number(r.explained_failed),
      explained_duplicate: Number(r.explained_duplicate),
      residual: num(r.residual),
      flags: r.flags as string[],
    };
  });
  const keys = Number(result.keys);
  if (opts.everyKey && keys > EXPORT_MAX_KEYS) {
    throw new BadRequest([`the export holds at most ${EXPORT_MAX_KEYS.toLocaleString('en-US')} keys and these filters select ${keys.toLocaleString('en-US')}: filter by plant or material`]);
  }
  return {
    items,
    next_cursor: opts.everyKey || offset + items.length >= keys ? null : nextCursor({ offset, limit, at: f.at }, items.length),
    as_of: cutoffDate.toISOString(),
    totals: {
      keys,
      flagged: Number(result.flagged),
      value: Number(result.total_value),
      value_abs: Number(result.value_abs),
      unexplained_value: Number(result.unexplained_value),
      unexplained_value_abs: Number(result.unexplained_value_abs),
    },
  };
}
