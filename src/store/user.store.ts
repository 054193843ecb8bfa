/**
 * @module store/user.store — web users, their project memberships and their tokens.
 */
import { sql } from 'kysely';

import type { Db } from './database.ts';

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

/** Adds or changes a membership. */
export async function upsertMembership(db: Db, projectId: string, userId: string, role: ProjectRole): Promise<void> {
  await db
    .insertInto('memberships')
    .values({ project_id: projectId, user_id: userId, role })
    .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}

export async function listMembers(db: Db, projectId: string): Promise<Array<WebUser & { role: ProjectRole }>> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.is_superuser', 'users.created_at', 'memberships.role'])
    .where('memberships.project_id', '=', projectId)
    .orderBy('users.email')
    .execute();
  return rows.map((r) => ({ id: r.id, email: r.email, isSuperuser: r.is_superuser, createdAt: r.created_at, role: r.role }));
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
    user: { id: row.user_id, email: row.email, isSuperuser: row.is_superuser, createdAt: row.created_at },
  };
}

export async function revokeToken(db: Db, tokenId: string, now: Date): Promise<void> {
  await db.updateTable('auth_tokens').set({ revoked_at: now }).where('id', '=', tokenId).execute();
}
