// What explains an inventory variance (CONTRACT §3), per ERP-bound transaction with a stock_delta, as it
// stood at a cut-off: its status then, its stock effect (the first event's stock_delta), and what the
// ERP posted beyond its first posted event. The variance view (getInventoryVariance.ts) sums these per
// inventory key from raw rows, and the rollup builder (kpiRollup.ts) per plant × flow × hour, so both
// count the same way. A duplicate delivery (same event_id) changes nothing: argMax/argMin ignore
// repeats and posted events are summed once per distinct event_id.
import { param, raw, sql, type Raw, type Sql } from '../clickhouse/client';
import { chTime } from './filters';

const RANK = raw(`multiIf(status = 'posted', 3, status = 'failed', 2, 1)`);

/** One row per transaction: tx_plant, tx_flow, tx_hour, tx_storage_location, tx_material, tx_lot, tx_uom, status_at_cutoff, delta, posted_again. */
export function inventoryTransactionsSql(cutoff: Date, conditions: Sql): Sql {
  const at = param('cutoff', "DateTime64(3, 'UTC')", chTime(cutoff));
  return sql`
SELECT correlation_id, any(plant) AS tx_plant, any(flow) AS tx_flow, toStartOfHour(min(occurred_at)) AS tx_hour,
       any(storage_location) AS tx_storage_location, any(material) AS tx_material, any(lot) AS tx_lot, any(uom) AS tx_uom,
       argMax(status, (reported_at, ${RANK})) AS status_at_cutoff,
       argMin(assumeNotNull(stock_delta), (reported_at, event_id)) AS delta,
       arraySum(arrayMap(x -> x.2, arrayDistinct(groupArrayIf((event_id, assumeNotNull(stock_delta)), status = 'posted'))))
         - if(countIf(status = 'posted') > 0, argMinIf(assumeNotNull(stock_delta), (reported_at, event_id), status = 'posted'), 0) AS posted_again
FROM postings
WHERE target_system = 'ERP' AND stock_delta IS NOT NULL AND occurred_at <= ${at} AND reported_at <= ${at} AND ${conditions}
GROUP BY correlation_id`;
}

/**
 * A plant's inventory key (plant, storage location, material, lot, unit) as one text, over
 * inventoryTransactionsSql rows: the JSON array of the five, so one key is one text and back
 * (inventoryKeyParts). The rollup stores its sums per such key (migration 013), and the variance sums
 * them grouped on that one column (a LowCardinality text: far cheaper to group on than five strings).
 */
export const INVENTORY_KEY = raw(`toJSONString([tx_plant, tx_storage_location, tx_material, tx_lot, tx_uom])`);

/** plant, storage_location, material, lot, uom from an INVENTORY_KEY text in column `column`. */
export function inventoryKeyParts(column: string): Raw {
  const parts = `JSONExtract(${column}, 'Array(String)')`;
  return raw(['plant', 'storage_location', 'material', 'lot', 'uom'].map((name, i) => `${parts}[${i + 1}] AS ${name}`).join(', '));
}

/** The explained sums over inventoryTransactionsSql rows: pending, failed, duplicate. */
export const EXPLAINED_SUMS = raw(
  `sumIf(delta, status_at_cutoff = 'pending') AS pending, sumIf(delta, status_at_cutoff = 'failed') AS failed, -sum(posted_again) AS duplicate`,
);
