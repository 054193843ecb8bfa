/**
 * @module services/unsubscribe.service — one-click email unsubscribe (RFC 8058). Each email carries
 * a List-Unsubscribe URL with a signed token naming the address and project; a POST to it opts the
 * address out (server-wide, like a STOP) through consent.service: the ledger, the queued emails
 * failed, exactly as a STOP does for a number.
 */
import { timingSafeEqual } from 'node:crypto';

import { AppError } from '../errors.ts';
import { recordOptOut } from './consent.service.ts';
import type { ServiceDeps } from './deps.ts';

interface TokenBody {
  e: string;
  p: string | null;
}

export function unsubscribeToken(deps: ServiceDeps, email: string, projectId: string | null): string {
  const body = Buffer.from(JSON.stringify({ e: email.trim().toLowerCase(), p: projectId } satisfies TokenBody)).toString('base64url');
  return `${body}.${deps.secrets.mac('unsubscribe:' + body)}`;
}

export function unsubscribeUrl(deps: ServiceDeps, email: string, projectId: string | null): string {
  return `${deps.messaging.publicUrl}/unsubscribe/${unsubscribeToken(deps, email, projectId)}`;
}

export function readUnsubscribeToken(deps: ServiceDeps, token: string): TokenBody {
  const [body, mac] = token.split('.');
  // Byte lengths, not string lengths: a non-ASCII MAC of the right length has more bytes (and would throw).
  const given = Buffer.from(mac ?? '');
  const expected = Buffer.from(body ? deps.secrets.mac('unsubscribe:' + body) : '');
  if (!body || !mac || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('NOT_FOUND', 'This unsubscribe link is not valid.');
  }
  try {
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenBody;
    if (typeof parsed.e !== 'string') {
      throw new Error('no address');
    }
    return parsed;
  } catch (err) {
    throw new AppError('NOT_FOUND', 'This unsubscribe link is not valid.', { cause: err });
  }
}

/** Opts the address out (idempotent: a second click records nothing new). Returns the address. */
export async function unsubscribe(deps: ServiceDeps, token: string): Promise<string> {
  const { e: email, p: projectId } = readUnsubscribeToken(deps, token);
  const now = deps.clock();
  await deps.db.transaction().execute((trx) =>
    recordOptOut(trx, { channel: 'email', address: email }, { method: 'email-unsubscribe', source: {}, projectId, contact: null, gateway: null }, now),
  );
  return email;
}
