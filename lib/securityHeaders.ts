// Headers on every answer of Plantline's processes (the app's pages and API, ingest, health): no page
// may be framed by another site (a framed replay or resolve button could be clicked through a decoy),
// no answer is content-sniffed into another type, and no URL (filters, correlation ids) is sent to
// another site as a referrer. Set by the HTTP servers themselves (scripts/server.ts, ingest/main.ts),
// so they hold for Next's routes and for those answered before Next sees the request.
import type { ServerResponse } from 'node:http';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
