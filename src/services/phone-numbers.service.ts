/**
 * @module services/phone-numbers.service — what the registry knows about one number, seen from a project.
 */
import type { Project } from '../domain/project.ts';
import { AppError } from '../errors.ts';
import { findEntriesByNumber } from '../store/phone-entry.store.ts';
import { isOptedOut } from '../store/opt-out.store.ts';
import type { ServiceDeps } from './deps.ts';
import { parsePathNumber } from './mobile-workers.service.ts';
import { isLapsedPending } from './phone-registry.service.ts';

export interface PhoneNumberView {
  number: string;
  optedOut: boolean;
  entries: Array<{ ownerType: 'case' | 'mobile-worker'; ownerId: string; state: 'one-way' | 'pending' | 'two-way' }>;
  /** Another project holds the number as two-way or pending. */
  twoWayElsewhere: boolean;
}

export async function lookupPhoneNumber(deps: ServiceDeps, project: Project, raw: string): Promise<PhoneNumberView> {
  const number = parsePathNumber(project, raw);
  if (!number) {
    throw new AppError('INVALID_PHONE_NUMBER', `"${raw}" is not a phone number.`, { details: { field: 'number' } });
  }
  const now = deps.clock();
  const all = await findEntriesByNumber(deps.db, number);
  const live = all.map((e) => (isLapsedPending(e, now) ? { ...e, state: 'one-way' as const } : e));
  return {
    number,
    optedOut: await isOptedOut(deps.db, number),
    entries: live.filter((e) => e.projectId === project.id).map((e) => ({ ownerType: e.ownerType, ownerId: e.ownerId, state: e.state })),
    twoWayElsewhere: live.some((e) => e.projectId !== project.id && e.state !== 'one-way'),
  };
}
