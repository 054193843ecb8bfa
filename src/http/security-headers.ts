/**
 * @module http/security-headers — headers on every admin UI response (/ui/… and the / redirect):
 * a Content-Security-Policy that runs only the server's own script files (htmx and admin.js; no
 * inline script, event handler attributes, style attributes, eval or framing), X-Frame-Options,
 * nosniff, a same-origin Referrer-Policy, and `Cache-Control: no-store` on everything that does not
 * set its own caching (pages carry a user's data and form tokens; only the assets are cacheable).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** An onSend hook: sets the UI's security headers on the reply. */
export async function uiSecurityHeaders(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  void reply.header('content-security-policy', UI_CONTENT_SECURITY_POLICY);
  void reply.header('x-frame-options', 'DENY');
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'same-origin');
  if (!reply.hasHeader('cache-control')) {
    void reply.header('cache-control', 'no-store');
  }
  return payload;
}
