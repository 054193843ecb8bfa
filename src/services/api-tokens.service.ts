/**
 * @module services/api-tokens.service — a web user's own API tokens: created with a name and an
 * expiry (the secret is returned once and stored only as a hash), listed without their secret with
 * when each was last used, and revoked one by one.
 */
import { AppError } from '../errors.ts';
import { insertToken, listApiTokens, revokeUserApiToken } from '../store/user.store.ts';
import { type Actor, authenticate } from './auth.service.ts';
import { isUuid, type ServiceDeps } from './deps.ts';
import { hashToken, newToken } from '../lib/passwords.ts';
import type { Page } from './pagination.ts';

export const MAX_TOKEN_DAYS = 3650;
export const MAX_TOKEN_NAME = 200;

export interface NewApiToken {
  /** The secret: shown once, never stored. */
  token: string;
  id: string;
  name: string | null;
  expiresAt: string | null;
}

export interface ApiTokenView {
  id: string;
  name: string | null;
  createdAt: string;
  /** null: never expires. */
  expiresAt: string | null;
  expired: boolean;
  /** When it last authenticated a request (recorded at most once a minute); null: never used. */
  lastUsedAt: string | null;
  /** Whether this is the token the request was made with. */
  current: boolean;
}

export interface TokenOptions {
  name?: string | null | undefined;
  /** 1–3650 days; null or absent: the token does not expire (as before issue 24). */
  expiresInDays?: number | null | undefined;
}

function tokenName(name: string | null | undefined): string | null {
  const trimmed = name?.trim() ?? '';
  if (trimmed.length > MAX_TOKEN_NAME) {
    throw new AppError('VALIDATION_ERROR', `name: at most ${MAX_TOKEN_NAME} characters.`, { details: { field: 'name' } });
  }
  return trimmed === '' ? null : trimmed;
}

/** A new API token for a user who is already signed in (the UI) or has just given their password (the API). */
export async function createApiToken(deps: ServiceDeps, userId: string, options: TokenOptions): Promise<NewApiToken> {
  const days = options.expiresInDays ?? null;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS)) {
    throw new AppError('VALIDATION_ERROR', `expiresInDays: a whole number of days from 1 to ${MAX_TOKEN_DAYS}, or leave it out for a token that does not expire.`, {
      details: { field: 'expiresInDays' },
    });
  }
  const name = tokenName(options.name);
  const expiresAt = days === null ? null : new Date(deps.clock().getTime() + days * 86_400_000);
  const token = newToken();
  const id = await insertToken(deps.db, { userId, kind: 'api', tokenHash: hashToken(token), csrfToken: null, label: name, expiresAt });
  return { token, id, name, expiresAt: expiresAt?.toISOString() ?? null };
}

/** POST /api/v1/auth/tokens: email and password, then a token with its name and expiry. */
export async function issueNamedApiToken(deps: ServiceDeps, input: { email: string; password: string } & TokenOptions, clientAddress: string | null): Promise<NewApiToken> {
  // Checked before the password, so a bad expiry costs no sign-in attempt.
  tokenName(input.name);
  const user = await authenticate(deps, input.email, input.password, clientAddress);
  return createApiToken(deps, user.id, input);
}

const OFFSET_CURSOR = /^o:(\d{1,9})$/;

function decodeOffset(cursor: string | undefined): number {
  if (!cursor) {
    return 0;
  }
  const m = OFFSET_CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m?.[1]) {
    throw new AppError('VALIDATION_ERROR', 'The cursor is not valid; use the nextCursor of a previous page.', { details: { field: 'cursor' } });
  }
  return Number(m[1]);
}

/** The actor's own API tokens that were not revoked, newest first; never their secret. */
export async function listOwnApiTokens(deps: ServiceDeps, actor: Actor, page: { limit: number; cursor?: string | undefined }): Promise<Page<ApiTokenView>> {
  const offset = decodeOffset(page.cursor);
  const rows = await listApiTokens(deps.db, actor.userId, page.limit + 1, offset);
  const now = deps.clock().getTime();
  const items = rows.slice(0, page.limit).map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    expired: r.expiresAt !== null && r.expiresAt.getTime() <= now,
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    current: actor.kind === 'api' && r.id === actor.tokenId,
  }));
  const nextCursor = rows.length > page.limit ? Buffer.from(`o:${offset + page.limit}`, 'utf8').toString('base64url') : null;
  return { items, nextCursor };
}

/** Revokes one of the actor's own API tokens: it is refused from the next request on. */
export async function revokeOwnApiToken(deps: ServiceDeps, actor: Actor, tokenId: string): Promise<void> {
  if (!isUuid(tokenId) || !(await revokeUserApiToken(deps.db, actor.userId, tokenId, deps.clock()))) {
    throw new AppError('NOT_FOUND', 'You have no API token with this id (it may have been revoked already).');
  }
  // Tokens resolved in the last seconds are cached: this one must be refused at once.
  deps.caches.actors.clear();
}
