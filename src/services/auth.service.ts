/**
 * @module services/auth.service — web users, sign-in, API tokens and UI sessions.
 * Passwords are scrypt hashes; tokens are random and stored only as SHA-256 hashes.
 */
import { randomBytes } from 'node:crypto';

import { isEmailAddress } from '../domain/email.ts';
import { AppError } from '../errors.ts';
import { countUsers, findLiveToken, findTokenByHash, findUserByEmail, insertToken, insertUser, revokeToken, setSuperuser, touchToken, updateUserPassword, type WebUser } from '../store/user.store.ts';
import type { ServiceDeps } from './deps.ts';
import { generatePassword, hashPassword, hashToken, newToken, verifyPassword } from '../lib/passwords.ts';

export const MIN_PASSWORD = 8;

/** Who is making a request. */
export interface Actor {
  userId: string;
  email: string;
  isSuperuser: boolean;
  tokenId: string;
  kind: 'api' | 'session';
  csrfToken: string | null;
}

// A hash to compare against when the email is unknown, so timing does not reveal which emails exist.
let dummyHash: Promise<string> | null = null;

export function validateCredentials(email: string, password: string): void {
  if (!isEmailAddress(email)) {
    throw new AppError('VALIDATION_ERROR', 'email is not a valid email address.', { details: { field: 'email' } });
  }
  if (password.length < MIN_PASSWORD) {
    throw new AppError('VALIDATION_ERROR', `password must have at least ${MIN_PASSWORD} characters.`, { details: { field: 'password' } });
  }
}

export async function createWebUser(deps: ServiceDeps, input: { email: string; password: string; isSuperuser: boolean }): Promise<WebUser> {
  validateCredentials(input.email, input.password);
  if (await findUserByEmail(deps.db, input.email)) {
    throw new AppError('CONFLICT', `A user with the email ${input.email} already exists.`, { details: { field: 'email' } });
  }
  return insertUser(deps.db, { email: input.email.trim(), passwordHash: await hashPassword(input.password), isSuperuser: input.isSuperuser });
}

/** Checks email and password; the same error whether the email or the password is wrong. */
export async function authenticate(deps: ServiceDeps, email: string, password: string, clientAddress: string | null = null): Promise<WebUser> {
  const now = deps.clock().getTime();
  const waitMs = deps.signInThrottle.retryAfterMs(email, clientAddress, now);
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    const minutes = Math.ceil(waitMs / 60_000);
    const when = seconds < 120 ? `${seconds} second${seconds === 1 ? '' : 's'}` : `${minutes} minutes`;
    throw new AppError('RATE_LIMITED', `Too many failed sign-ins for this account or from this address; try again in ${when}.`, {
      details: { retryAfterSeconds: seconds },
    });
  }
  const user = await findUserByEmail(deps.db, email);
  dummyHash ??= hashPassword(randomBytes(8).toString('hex'));
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
  if (!user || !ok || user.disabled) {
    // Counted from when the answer is known: a slow password check does not eat into the wait.
    deps.signInThrottle.recordFailure(email, clientAddress, deps.clock().getTime());
    throw new AppError('UNAUTHORIZED', 'The email or password is not right.');
  }
  deps.signInThrottle.recordSuccess(email, clientAddress);
  return user;
}

export async function issueApiToken(deps: ServiceDeps, email: string, password: string, label: string | null = null, clientAddress: string | null = null): Promise<string> {
  const user = await authenticate(deps, email, password, clientAddress);
  const token = newToken();
  await insertToken(deps.db, { userId: user.id, kind: 'api', tokenHash: hashToken(token), csrfToken: null, label, expiresAt: null });
  return token;
}

export async function issueSession(deps: ServiceDeps, userId: string, hours: number): Promise<{ token: string; csrfToken: string }> {
  const token = newToken();
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(deps.clock().getTime() + hours * 3_600_000);
  await insertToken(deps.db, { userId, kind: 'session', tokenHash: hashToken(token), csrfToken, label: null, expiresAt });
  return { token, csrfToken };
}

export async function resolveToken(deps: ServiceDeps, token: string): Promise<Actor | null> {
  if (token.length < 10 || token.length > 200) {
    return null;
  }
  const hash = hashToken(token);
  const cached = deps.caches.actors.get(hash);
  if (cached !== undefined) {
    return cached;
  }
  const now = deps.clock();
  const found = await findLiveToken(deps.db, hash, now);
  const actor: Actor | null = found
    ? { userId: found.userId, email: found.user.email, isSuperuser: found.user.isSuperuser, tokenId: found.id, kind: found.kind, csrfToken: found.csrfToken }
    : null;
  // A session's expiry is honoured to the second: only tokens that outlive the cache are cached.
  if (!found?.expiresAt || found.expiresAt.getTime() > deps.clock().getTime() + 60_000) {
    deps.caches.actors.set(hash, actor);
  }
  return actor;
}

/**
 * Records an API token's last use, once its request was answered below 400 (a refused request is
 * not a use and changes nothing). Written at most once a minute per token and process; the UPDATE
 * also skips a row written in the last minute, for other processes.
 */
export async function recordTokenUse(deps: ServiceDeps, actor: Actor): Promise<void> {
  const now = deps.clock();
  if (actor.kind !== 'api' || deps.caches.tokenUses.get(actor.tokenId, now.getTime()) !== undefined) {
    return;
  }
  deps.caches.tokenUses.set(actor.tokenId, true, now.getTime());
  await touchToken(deps.db, actor.tokenId, now);
}

/**
 * Why a token that resolveToken refused is refused, in words (the token's holder may know: it is
 * their token). Asked only on a refusal, so it costs nothing on accepted requests.
 */
export async function tokenRefusal(deps: ServiceDeps, token: string): Promise<string> {
  const found = token.length >= 10 && token.length <= 200 ? await findTokenByHash(deps.db, hashToken(token)) : null;
  const what = found?.kind === 'session' ? 'This sign-in session' : 'This API token';
  const again = found?.kind === 'session' ? 'sign in again' : 'create a new token (POST /api/v1/auth/tokens, or the API tokens page of the admin UI)';
  if (!found) {
    return 'The token is not valid, has expired or was revoked.';
  }
  if (found.userDisabled) {
    return 'The account this token belongs to has been deactivated; a superuser can reactivate it.';
  }
  if (found.revokedAt) {
    return `${what} was revoked on ${found.revokedAt.toISOString()}; ${again}.`;
  }
  if (found.expiresAt && found.expiresAt.getTime() <= deps.clock().getTime()) {
    return `${what} expired on ${found.expiresAt.toISOString()}; ${again}.`;
  }
  return 'The token is not valid, has expired or was revoked.';
}

export async function revokeActorToken(deps: ServiceDeps, actor: Actor): Promise<void> {
  await revokeToken(deps.db, actor.tokenId, deps.clock());
  deps.caches.actors.clear();
}

export interface BootstrapResult {
  created: boolean;
  email?: string;
  /** Set only when the password was generated: print it once. */
  generatedPassword?: string;
}

/** When the server has no user, creates the superuser from the settings (or a generated password). */
export async function bootstrapSuperuser(deps: ServiceDeps, email: string | undefined, password: string | undefined): Promise<BootstrapResult> {
  if ((await countUsers(deps.db)) > 0) {
    return { created: false };
  }
  const adminEmail = email ?? 'admin@localhost.localdomain';
  const generated = password ? undefined : generatePassword();
  await createWebUser(deps, { email: adminEmail, password: password ?? generated ?? '', isSuperuser: true });
  return { created: true, email: adminEmail, ...(generated ? { generatedPassword: generated } : {}) };
}

/** Creates or resets a superuser (the `create-admin` command). */
export async function upsertSuperuser(deps: ServiceDeps, email: string, password: string): Promise<'created' | 'updated'> {
  validateCredentials(email, password);
  const existing = await findUserByEmail(deps.db, email);
  if (existing) {
    await updateUserPassword(deps.db, existing.id, await hashPassword(password));
    await setSuperuser(deps.db, existing.id, true);
    return 'updated';
  }
  await createWebUser(deps, { email, password, isSuperuser: true });
  return 'created';
}
