/**
 * @module store/user.store — web users, their project memberships and their tokens.
 */
import { sql } from 'kysely';

import type { Db, Trx } from './database.ts';

export interface WebUser {
  id: string;
  email: string;
  isSuperuser: boolean;
  createdAt: Date;
}

export interface WebUserWithHash extends WebUser {
  passwordHash: string;
  disabled: boolean;
}

export type ProjectRole = 'admin' | 'member';

export async function countUsers(db: Db): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertUser(db: Db, u: { email: string; passwordHash: string; isSuperuser: boolean }): Promise<WebUser> {
  const row = await db
    .insertInto('users')
    .values({ email: u.email, password_hash: u.passwordHash, is_superuser: u.isSuperuser })
    .returning(['id', 'email', 'is_superuser', 'created_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, email: row.email, isSuperuser: row.is_superuser, createdAt: row.created_at };
}

export async function findUserByEmail(db: Db, email: string): Promise<WebUserWithHash | null> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
  return row
    ? { id: row.id, email: row.email, isSuperuser: row.is_superuser, createdAt: row.created_at, passwordHash: row.password_hash, disabled: row.disabled_at !== null }
    : null;
}

export async function updateUserPassword(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

export async function setSuperuser(db: Db, userId: string, isSuperuser: boolean): Promise<void> {
  await db.updateTable('users').set({ is_superuser: isSuperuser }).where('id', '=', userId).execute();
}

export async function findMembershipRole(db: Db, projectId: string, userId: string): Promise<ProjectRole | null> {
  const row = await db
    .selectFrom('memberships')
    .select('role')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.role ?? null;
}

/** Adds or changes a membership (an active one: a deactivated membership of the pair is dropped). */
export async function upsertMembership(db: Db, projectId: string, userId: string, role: ProjectRole): Promise<void> {
  await withInactive(db).deleteFrom('inactive_memberships').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
  await db
    .insertInto('memberships')
    .values({ project_id: projectId, user_id: userId, role })
    .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}

export interface ProjectMember extends WebUser {
  role: ProjectRole;
  /** Whether the membership gives access (false: deactivated in this project, kept for reactivation). */
  active: boolean;
  deactivatedAt: Date | null;
  /** Whether the account may sign in at all (false: deactivated server-wide by a superuser). */
  accountActive: boolean;
  /**
   * When the user last signed in to the UI since they joined this project (their newest session
   * since then), if ever: an account's sign-ins from before it was added are not this project's
   * business (a project admin must not learn that an email already had an account).
   */
  lastSignInAt: Date | null;
}

/** The project's web users, those with access and those deactivated in it, by email. */
export async function listMembers(db: Db, projectId: string): Promise<ProjectMember[]> {
  const active = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.is_superuser', 'users.disabled_at', 'memberships.created_at', 'memberships.role'])
    .select((eb) =>
      eb
        .selectFrom('auth_tokens')
        .select((t) => t.fn.max('auth_tokens.created_at').as('at'))
        .whereRef('auth_tokens.user_id', '=', 'memberships.user_id')
        .whereRef('auth_tokens.created_at', '>=', 'memberships.created_at')
        .where('auth_tokens.kind', '=', 'session')
        .as('last_sign_in_at'),
    )
    .where('memberships.project_id', '=', projectId)
    .execute();
  const inactive = await withInactive(db)
    .selectFrom('inactive_memberships')
    .innerJoin('users', 'users.id', 'inactive_memberships.user_id')
    .select(['users.id', 'users.email', 'users.is_superuser', 'users.disabled_at', 'inactive_memberships.created_at', 'inactive_memberships.role', 'inactive_memberships.deactivated_at'])
    .select((eb) =>
      eb
        .selectFrom('auth_tokens')
        .select((t) => t.fn.max('auth_tokens.created_at').as('at'))
        .whereRef('auth_tokens.user_id', '=', 'inactive_memberships.user_id')
        .whereRef('auth_tokens.created_at', '>=', 'inactive_memberships.created_at')
        .where('auth_tokens.kind', '=', 'session')
        .as('last_sign_in_at'),
    )
    .where('inactive_memberships.project_id', '=', projectId)
    .execute();
  const member = (r: (typeof active)[number], deactivatedAt: Date | null): ProjectMember => ({
    id: r.id,
    email: r.email,
    isSuperuser: r.is_superuser,
    createdAt: r.created_at,
    role: r.role,
    active: deactivatedAt === null,
    deactivatedAt,
    accountActive: r.disabled_at === null,
    lastSignInAt: r.last_sign_in_at ? new Date(r.last_sign_in_at) : null,
  });
  return [...active.map((r) => member(r, null)), ...inactive.map((r) => member(r, r.deactivated_at))].sort((a, b) =>
    a.email.toLowerCase() < b.email.toLowerCase() ? -1 : a.email.toLowerCase() > b.email.toLowerCase() ? 1 : 0,
  );
}

export async function isProjectMember(db: Db, projectId: string, userId: string): Promise<boolean> {
  return (await findMembershipRole(db, projectId, userId)) !== null;
}

export interface StoredToken {
  id: string;
  userId: string;
  kind: 'api' | 'session';
  csrfToken: string | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  user: WebUser;
}

export async function insertToken(
  db: Db,
  t: { userId: string; kind: 'api' | 'session'; tokenHash: string; csrfToken: string | null; label: string | null; expiresAt: Date | null },
): Promise<string> {
  const row = await db
    .insertInto('auth_tokens')
    .values({ user_id: t.userId, kind: t.kind, token_hash: t.tokenHash, csrf_token: t.csrfToken, label: t.label, expires_at: t.expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A live token (not revoked, not expired, user not disabled) by its hash. */
export async function findLiveToken(db: Db, tokenHash: string, now: Date): Promise<StoredToken | null> {
  const row = await db
    .selectFrom('auth_tokens')
    .innerJoin('users', 'users.id', 'auth_tokens.user_id')
    .select([
      'auth_tokens.id',
      'auth_tokens.user_id',
      'auth_tokens.kind',
      'auth_tokens.csrf_token',
      'auth_tokens.expires_at',
      'auth_tokens.last_used_at',
      'users.email',
      'users.is_superuser',
      'users.created_at',
    ])
    .where('auth_tokens.token_hash', '=', tokenHash)
    .where('auth_tokens.revoked_at', 'is', null)
    .where('users.disabled_at', 'is', null)
    .where((eb) => eb.or([eb('auth_tokens.expires_at', 'is', null), eb('auth_tokens.expires_at', '>', now)]))
    .executeTakeFirst();
  if (!row) {
    return null;
  }
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    csrfToken: row.csrf_token,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    user: { id: row.user_id, email: row.email, isSuperuser: row.is_superuser, createdAt: row.created_at },
  };
}

export async function revokeToken(db: Db, tokenId: string, now: Date): Promise<void> {
  await db.updateTable('auth_tokens').set({ revoked_at: now }).where('id', '=', tokenId).execute();
}

// --- Deactivated memberships (migration 0016): a row moves between the two tables. ---

interface InactiveMembershipTable {
  project_id: string;
  user_id: string;
  role: ProjectRole;
  created_at: Date;
  deactivated_at: Date;
}

function withInactive(db: Db | Trx) {
  return db.withTables<{ inactive_memberships: InactiveMembershipTable }>();
}

export interface MembershipState {
  role: ProjectRole;
  active: boolean;
  createdAt: Date;
}

/** The user's membership of the project, active or deactivated, or null. */
export async function findMembership(db: Db | Trx, projectId: string, userId: string): Promise<MembershipState | null> {
  const active = await db.selectFrom('memberships').select(['role', 'created_at']).where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  if (active) {
    return { role: active.role, active: true, createdAt: active.created_at };
  }
  const inactive = await withInactive(db)
    .selectFrom('inactive_memberships')
    .select(['role', 'created_at'])
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return inactive ? { role: inactive.role, active: false, createdAt: inactive.created_at } : null;
}

/**
 * The ids of the project's active admins, their rows locked until the transaction ends (so two
 * admins demoting each other at once cannot leave the project with none).
 */
export async function lockActiveAdmins(trx: Trx, projectId: string): Promise<string[]> {
  const rows = await trx.selectFrom('memberships').select('user_id').where('project_id', '=', projectId).where('role', '=', 'admin').forUpdate().execute();
  return rows.map((r) => r.user_id);
}

export async function setMembershipRole(trx: Db | Trx, projectId: string, userId: string, role: ProjectRole, active: boolean): Promise<void> {
  if (active) {
    await trx.updateTable('memberships').set({ role }).where('project_id', '=', projectId).where('user_id', '=', userId).execute();
  } else {
    await withInactive(trx).updateTable('inactive_memberships').set({ role }).where('project_id', '=', projectId).where('user_id', '=', userId).execute();
  }
}

/** Moves an active membership to the deactivated ones, with the role it will come back with. */
export async function deactivateMembership(trx: Trx, projectId: string, userId: string, role: ProjectRole, now: Date): Promise<void> {
  const removed = await trx.deleteFrom('memberships').where('project_id', '=', projectId).where('user_id', '=', userId).returning('created_at').executeTakeFirst();
  if (removed) {
    await withInactive(trx)
      .insertInto('inactive_memberships')
      .values({ project_id: projectId, user_id: userId, role, created_at: removed.created_at, deactivated_at: now })
      .execute();
  }
}

/** Gives a deactivated membership its access back, with `role`. */
export async function reactivateMembership(trx: Trx, projectId: string, userId: string, role: ProjectRole): Promise<void> {
  const removed = await withInactive(trx)
    .deleteFrom('inactive_memberships')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .returning('created_at')
    .executeTakeFirst();
  if (removed) {
    await trx.insertInto('memberships').values({ project_id: projectId, user_id: userId, role, created_at: removed.created_at }).execute();
  }
}

// --- Users by id, server-wide deactivation ---

export async function findUserById(db: Db | Trx, userId: string): Promise<(WebUser & { disabledAt: Date | null }) | null> {
  const row = await db.selectFrom('users').select(['id', 'email', 'is_superuser', 'created_at', 'disabled_at']).where('id', '=', userId).executeTakeFirst();
  return row ? { id: row.id, email: row.email, isSuperuser: row.is_superuser, createdAt: row.created_at, disabledAt: row.disabled_at } : null;
}

/** Deactivates (a time) or reactivates (null) an account; a deactivated account keeps its first deactivation time. */
export async function setUserDisabled(db: Db | Trx, userId: string, at: Date | null): Promise<void> {
  const q = db.updateTable('users').set({ disabled_at: at }).where('id', '=', userId);
  await (at ? q.where('disabled_at', 'is', null) : q).execute();
}

/** Revokes every live token of the user (sessions and API tokens); returns how many. */
export async function revokeUserTokens(db: Db | Trx, userId: string, now: Date): Promise<number> {
  const rows = await db.updateTable('auth_tokens').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).returning('id').execute();
  return rows.length;
}

// --- API tokens: list, revoke by id, last use, why one is refused ---

export interface ApiTokenRow {
  id: string;
  name: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** The user's API tokens that were not revoked (expired ones included), newest first. */
export async function listApiTokens(db: Db, userId: string, limit: number, offset: number): Promise<ApiTokenRow[]> {
  const rows = await db
    .selectFrom('auth_tokens')
    .select(['id', 'label', 'created_at', 'expires_at', 'last_used_at'])
    .where('user_id', '=', userId)
    .where('kind', '=', 'api')
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.label, createdAt: r.created_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at }));
}

/** Revokes one of the user's own API tokens; false when the user has no such live token. */
export async function revokeUserApiToken(db: Db, userId: string, tokenId: string, now: Date): Promise<boolean> {
  const rows = await db
    .updateTable('auth_tokens')
    .set({ revoked_at: now })
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .where('kind', '=', 'api')
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute();
  return rows.length > 0;
}

/**
 * Records a use of the token, at most once a minute: the row is written only when its last use is
 * older than a minute (or never), so a busy token does not cost a write per request.
 */
export async function touchToken(db: Db, tokenId: string, now: Date): Promise<void> {
  const aMinuteAgo = new Date(now.getTime() - 60_000);
  await db
    .updateTable('auth_tokens')
    .set({ last_used_at: now })
    .where('id', '=', tokenId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', aMinuteAgo)]))
    .execute();
}

export interface DeadToken {
  kind: 'api' | 'session';
  expiresAt: Date | null;
  revokedAt: Date | null;
  userDisabled: boolean;
}

/** A token by its hash whatever its state (to say why it is refused). */
export async function findTokenByHash(db: Db, tokenHash: string): Promise<DeadToken | null> {
  const row = await db
    .selectFrom('auth_tokens')
    .innerJoin('users', 'users.id', 'auth_tokens.user_id')
    .select(['auth_tokens.kind', 'auth_tokens.expires_at', 'auth_tokens.revoked_at', 'users.disabled_at'])
    .where('auth_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row ? { kind: row.kind, expiresAt: row.expires_at, revokedAt: row.revoked_at, userDisabled: row.disabled_at !== null } : null;
}
