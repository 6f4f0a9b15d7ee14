// Rejected messages (CONTRACT §2: every rejected message is kept with its raw bytes, source and reason):
// what the contract checks or the store refused, newest first, received in the time range and by `at`.
// A message delivered again is the same reject (same stream, source and position; the table collapses
// them), so each appears once. Admins only: a refused message names no plant that can be trusted.
import { z } from 'zod';
import { param, queryRows, sql, type Store } from '../clickhouse/client';
import { chTime, isoFromCh, pageLimitSql, pageOf, type Filters } from './filters';

export const rejectParams = z.object({
  stream: z.enum(['postings', 'inventory', 'spans']).optional(),
  source: z.enum(['kafka', 'http', 'file', 'store']).optional(),
  /** text the reason contains (a field name, an error) */
  reason: z.string().trim().min(1).max(200).optional(),
});
export type RejectParams = z.infer<typeof rejectParams>;

export type RejectItem = {
  received_at: string;
  stream: string;
  source: string;
  source_position: string;
  line: number;
  reason: string;
  raw_bytes: number;
  /** the first 300 bytes as text (bytes that are not UTF-8 shown as U+FFFD) */
  raw_preview: string;
  /** more bytes than the preview shows */
  truncated: boolean;
  /** every byte as received (with `bytes: true`) */
  raw_base64?: string;
};

/** PREVIEW_BYTES of a reject's raw bytes are shown as text. */
const PREVIEW_BYTES = 300;

/**
 * A page of rejects; `bytes: true` adds every byte of each (`raw_base64`: the API and its CSV). The page
 * is chosen on the narrow columns first, and only its rows' bytes are read: a reject can hold a whole
 * request body (up to PLANTLINE_MAX_BODY_BYTES).
 */
export async function listRejects(store: Store, f: Filters, p: RejectParams, opts: { bytes?: boolean } = {}): Promise<{ items: RejectItem[]; next_cursor: string | null }> {
  const conditions = [
    sql`received_at >= ${param('from', "DateTime64(3, 'UTC')", chTime(f.from))}`,
    sql`received_at < ${param('to', "DateTime64(3, 'UTC')", chTime(f.to))}`,
    sql`received_at <= ${param('at', "DateTime64(3, 'UTC')", chTime(f.at))}`,
  ];
  if (p.stream) conditions.push(sql`stream = ${param('stream', 'String', p.stream)}`);
  if (p.source) conditions.push(sql`source = ${param('source', 'String', p.source)}`);
  if (p.reason) conditions.push(sql`positionCaseInsensitiveUTF8(reason, ${param('reason', 'String', p.reason)}) > 0`);
  const where = conditions.reduce((a, c) => sql`${a} AND ${c}`);
  const order = sql`ORDER BY received_at DESC, stream, source, source_position LIMIT 1 BY stream, source, source_position`;
  const rows = await queryRows<Omit<RejectItem, 'line' | 'raw_bytes' | 'truncated'> & { line: string | number; raw_bytes: string | number; truncated: number | boolean }>(
    store,
    'listRejects',
    sql`
SELECT received_at, stream, source, source_position, line, reason, raw_bytes,
       toValidUTF8(substring(base64Decode(raw_base64), 1, ${param('preview', 'UInt32', PREVIEW_BYTES)})) AS raw_preview,
       raw_bytes > ${param('preview', 'UInt32', PREVIEW_BYTES)} AS truncated${opts.bytes ? sql`, raw_base64` : sql``}
FROM rejects
WHERE (received_at, stream, source, source_position) IN (
  SELECT received_at, stream, source, source_position FROM rejects WHERE ${where}
  ${order}
  ${pageLimitSql(f)})
${order}`,
  );
  return pageOf(
    f,
    rows.map((r) => ({ ...r, received_at: isoFromCh(r.received_at)!, line: Number(r.line), raw_bytes: Number(r.raw_bytes), truncated: Boolean(r.truncated) })),
  );
}
