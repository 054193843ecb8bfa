/**
 * @module services/web-users.service — changing web users: a project admin changes a member's role
 * or deactivates (and reactivates) their membership of the project; a superuser deactivates an
 * account server-wide. A project never loses its last admin, and an admin cannot lock themselves out.
 */
import type { Project } from '../domain/project.ts';
import { AppError } from '../errors.ts';
import {
  deactivateMembership,
  findMembership,
  findUserById,
  listMembers,
  lockActiveAdmins,
  type ProjectRole,
  reactivateMembership,
  revokeUserTokens,
  setMembershipRole,
  setUserDisabled,
} from '../store/user.store.ts';
import type { Actor } from './auth.service.ts';
import { isUuid, type ServiceDeps } from './deps.ts';
import { type MemberView, toMemberView } from './projects.service.ts';

export interface ProjectUserPatch {
  role?: ProjectRole | undefined;
  /** false: the user loses access to this project (nothing else); true: gets it back. */
  active?: boolean | undefined;
}

const noSuchMember = () => new AppError('NOT_FOUND', 'No such user in this project.');

/** Changes a member's role and/or whether their membership is active; answers the member as listed. */
export async function updateProjectUser(deps: ServiceDeps, actor: Actor, project: Project, userId: string, patch: ProjectUserPatch): Promise<MemberView> {
  if (!isUuid(userId)) {
    throw noSuchMember();
  }
  await deps.db.transaction().execute(async (trx) => {
    // Locked first, so two admins demoting each other at the same moment cannot both succeed.
    const admins = await lockActiveAdmins(trx, project.id);
    const current = await findMembership(trx, project.id, userId);
    if (!current) {
      throw noSuchMember();
    }
    const role = patch.role ?? current.role;
    const active = patch.active ?? current.active;
    const losesAdmin = current.active && current.role === 'admin' && (role !== 'admin' || !active);
    if (losesAdmin && userId === actor.userId && !actor.isSuperuser) {
      throw new AppError(
        'CONFLICT',
        active
          ? 'You cannot take away your own admin role: you would lose the right to manage this project. Ask another admin to do it.'
          : 'You cannot deactivate yourself: you would lose access to this project. Ask another admin to do it.',
        { details: { field: active ? 'role' : 'active' } },
      );
    }
    if (losesAdmin && admins.filter((id) => id !== userId).length === 0) {
      throw new AppError('CONFLICT', `This is the project's only admin: make another user an admin first, so someone can still manage the project.`, {
        details: { field: active ? 'role' : 'active' },
      });
    }
    if (current.active && !active) {
      await deactivateMembership(trx, project.id, userId, role, deps.clock());
    } else if (!current.active && active) {
      await reactivateMembership(trx, project.id, userId, role);
    } else if (role !== current.role) {
      await setMembershipRole(trx, project.id, userId, role, active);
    }
  });
  const member = (await listMembers(deps.db, project.id)).find((m) => m.id === userId);
  if (!member) {
    throw noSuchMember();
  }
  return toMemberView(member);
}

export interface AccountView {
  id: string;
  email: string;
  isSuperuser: boolean;
  active: boolean;
  createdAt: string;
}

/**
 * Deactivates (or reactivates) an account server-wide (superusers only). A deactivated account
 * cannot sign in, and every session and API token it had is revoked at once; reactivating it does
 * not bring them back (the person signs in again and creates new tokens).
 */
export async function setAccountActive(deps: ServiceDeps, actor: Actor, userId: string, active: boolean): Promise<AccountView> {
  if (!actor.isSuperuser) {
    throw new AppError('FORBIDDEN', 'Only a superuser can deactivate or reactivate an account.');
  }
  const user = isUuid(userId) ? await findUserById(deps.db, userId) : null;
  if (!user) {
    throw new AppError('NOT_FOUND', 'No such user.');
  }
  if (!active && user.id === actor.userId) {
    throw new AppError('CONFLICT', 'You cannot deactivate your own account: you would be locked out. Ask another superuser to do it.', { details: { field: 'active' } });
  }
  const now = deps.clock();
  await deps.db.transaction().execute(async (trx) => {
    await setUserDisabled(trx, user.id, active ? null : now);
    if (!active) {
      await revokeUserTokens(trx, user.id, now);
    }
  });
  // Tokens resolved in the last seconds are cached: the account's must be refused from now on.
  deps.caches.actors.clear();
  return { id: user.id, email: user.email, isSuperuser: user.isSuperuser, active, createdAt: user.createdAt.toISOString() };
}
