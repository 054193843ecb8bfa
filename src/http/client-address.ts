/**
 * @module http/client-address — the client address that sign-in limits count by (request.ip: the
 * socket's peer, or the client X-Forwarded-For names when ROLLCALL_TRUST_PROXY trusts that peer).
 * When a sign-in carries X-Forwarded-For that is not believed, the server warns once: behind a proxy
 * every client then has the proxy's address and shares one count.
 */
import type { FastifyRequest } from 'fastify';

let warned = false;

export function signInAddress(request: FastifyRequest): string {
  const ip = request.ip;
  if (!warned && request.headers['x-forwarded-for'] !== undefined && ip === request.socket.remoteAddress) {
    warned = true;
    request.log.warn(
      { peer: ip },
      'A sign-in came through a proxy (X-Forwarded-For) that ROLLCALL_TRUST_PROXY does not trust: sign-in limits count every client behind it as the one address of the proxy. Set ROLLCALL_TRUST_PROXY to the proxy\'s address (docs/operations.md).',
    );
  }
  return ip;
}
