// The address a request came from, for sign-in rate limiting and the audit log. The HTTP server that
// hosts the app (scripts/server.ts) works it out from the connection and puts it in CLIENT_HEADER,
// replacing any copy the request brought. X-Forwarded-For is believed only as far as the operator says
// proxies stand in front (PLANTLINE_TRUSTED_PROXIES): a client can write anything there, so its own
// entries would let it pose as a new address on every attempt.
import type { IncomingMessage } from 'node:http';

export const CLIENT_HEADER = 'x-plantline-client';

/** `trustedProxies` hops in front: the address the outermost trusted proxy saw; none: the peer's. */
export function clientAddress(req: IncomingMessage, trustedProxies: number): string {
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  if (trustedProxies <= 0) return peer;
  // each proxy appends the address it received the request from: count from the right
  const chain = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return chain[chain.length - trustedProxies] ?? peer;
}

/** Sets CLIENT_HEADER on a request the app is about to handle. */
export function markClientAddress(req: IncomingMessage, trustedProxies: number): void {
  req.headers[CLIENT_HEADER] = clientAddress(req, trustedProxies);
}
