// Rejected messages (admin): newest first, by stream, source and text of the reason; `format=csv` with every byte (base64).
import { readRoute } from '@/lib/route';
import { listRejects, rejectParams } from '@/queries/listRejects';

export const dynamic = 'force-dynamic';

export const GET = readRoute({
  name: 'rejects',
  permission: 'admin',
  params: rejectParams,
  run: ({ store, filters, params }) => listRejects(store, filters, params, { bytes: true }),
});
