/**
 * @module services/projects.service — projects, their settings, their members, and access checks.
 * Project isolation: every project-scoped request goes through requireProject(), which answers
 * NOT_FOUND to a non-member (so existence does not leak) and FORBIDDEN to a member lacking the role.
 */
import { normaliseGatewayNameInput } from '../domain/gateway.ts';
import { isLanguageCode } from '../domain/language.ts';
import { listUsableGateways } from '../store/gateway.store.ts';
import { isSupportedCountryCode } from '../domain/phone-number.ts';
import { defaultProjectSettings, PROJECT_NAME, type Project, type ProjectSettings, type SelfRegistrationSettings } from '../domain/project.ts';
import type { SystemTextOverrides } from '../domain/system-texts.ts';
import { canonicalTimeZone } from '../domain/time-zone.ts';
import { AppError } from '../errors.ts';
import { findProjectByName, insertProject, listProjectsForUser, lockProject, updateProject } from '../store/project.store.ts';
import { findMembership, findMembershipRole, findUserByEmail, insertUser, listMembers, type ProjectMember, type ProjectRole, upsertMembership } from '../store/user.store.ts';
import type { Actor } from './auth.service.ts';
import { validateCredentials } from './auth.service.ts';
import { hashPassword } from '../lib/passwords.ts';
import { checkOwner } from './cases.service.ts';
import { changesNumberReading, startContactReevaluation } from './contact-reevaluation.service.ts';
import type { ServiceDeps } from './deps.ts';
import { checkWelcomeSurvey } from './surveys.service.ts';

export interface ProjectInput {
  name: string;
  timeZone?: string | undefined;
  defaultCountry?: string | null | undefined;
  languages?: string[] | undefined;
  defaultLanguage?: string | undefined;
  phoneValidation?: 'strict' | 'possible' | undefined;
}

export interface ProjectPatch {
  timeZone?: string | undefined;
  defaultCountry?: string | null | undefined;
  languages?: string[] | undefined;
  defaultLanguage?: string | undefined;
  phoneValidation?: 'strict' | 'possible' | undefined;
  selfRegistration?: Partial<SelfRegistrationSettings> | undefined;
  helpText?: string | null | undefined;
  defaultSmsResponse?: string | null | undefined;
  defaultEmailGateway?: string | null | undefined;
  systemTexts?: SystemTextOverrides | undefined;
  optOutKeywords?: string[] | undefined;
  optInKeywords?: string[] | undefined;
}

export interface ProjectView {
  id: string;
  name: string;
  timeZone: string;
  defaultCountry: string | null;
  languages: string[];
  defaultLanguage: string;
  phoneValidation: 'strict' | 'possible';
  selfRegistration: SelfRegistrationSettings;
  helpText: string | null;
  defaultSmsResponse: string | null;
  defaultEmailGateway: string | null;
  systemTexts: SystemTextOverrides;
  optOutKeywords: string[];
  optInKeywords: string[];
  createdAt: string;
  updatedAt: string;
}

export function toProjectView(p: Project): ProjectView {
  return {
    id: p.id,
    name: p.name,
    timeZone: p.timeZone,
    defaultCountry: p.defaultCountry,
    languages: [...p.languages],
    defaultLanguage: p.defaultLanguage,
    phoneValidation: p.phoneValidation,
    selfRegistration: p.settings.selfRegistration,
    helpText: p.settings.helpText,
    defaultSmsResponse: p.settings.defaultSmsResponse,
    defaultEmailGateway: p.settings.defaultEmailGateway,
    systemTexts: p.settings.systemTexts,
    optOutKeywords: [...p.settings.optOutKeywords],
    optInKeywords: [...p.settings.optInKeywords],
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** A project's own keywords: trimmed, inner spaces folded, upper-cased, distinct; up to 30 of 1–40 characters. */
function extraKeywords(field: string, words: readonly string[]): string[] {
  const out = [...new Set(words.map((w) => w.trim().replace(/\s+/g, ' ').toUpperCase()).filter((w) => w !== ''))];
  if (out.length > 30 || out.some((w) => w.length > 40)) {
    throw invalid(field, `${field}: up to 30 words of 1–40 characters.`);
  }
  return out;
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_ERROR', message, { details: { field } });
}

interface ContactFields {
  timeZone: string;
  defaultCountry: string | null;
  languages: string[];
  defaultLanguage: string;
  phoneValidation: 'strict' | 'possible';
}

function validateContactFields(f: ContactFields): ContactFields {
  const timeZone = canonicalTimeZone(f.timeZone);
  if (!timeZone) {
    throw new AppError('INVALID_TIME_ZONE', `"${f.timeZone}" is not a known IANA time zone (for example Africa/Nairobi).`, { details: { field: 'timeZone' } });
  }
  let defaultCountry: string | null = null;
  if (f.defaultCountry !== null) {
    defaultCountry = f.defaultCountry.trim().toUpperCase();
    if (!isSupportedCountryCode(defaultCountry)) {
      throw invalid('defaultCountry', `"${f.defaultCountry}" is not a two-letter country code with a numbering plan (for example KE).`);
    }
  }
  const languages = [...new Set(f.languages.map((l) => l.trim()))];
  if (languages.length === 0 || languages.some((l) => !isLanguageCode(l))) {
    throw invalid('languages', 'languages must list one or more language codes such as "en" or "fr".');
  }
  if (!languages.includes(f.defaultLanguage)) {
    throw invalid('defaultLanguage', `defaultLanguage "${f.defaultLanguage}" must be one of the project's languages (${languages.join(', ')}).`);
  }
  return { timeZone, defaultCountry, languages, defaultLanguage: f.defaultLanguage, phoneValidation: f.phoneValidation };
}

/** Throws FORBIDDEN unless the actor may create projects (asked before a form is even read). */
export function assertMayCreateProjects(actor: Actor): void {
  if (!actor.isSuperuser) {
    throw new AppError('FORBIDDEN', 'Only a superuser can create projects.');
  }
}

export async function createProject(deps: ServiceDeps, actor: Actor, input: ProjectInput): Promise<ProjectView> {
  assertMayCreateProjects(actor);
  if (!PROJECT_NAME.test(input.name)) {
    throw invalid('name', 'name must be 2–63 characters of a-z, 0-9 and -, starting with a letter.');
  }
  const languages = input.languages ?? ['en'];
  const fields = validateContactFields({
    timeZone: input.timeZone ?? 'UTC',
    defaultCountry: input.defaultCountry ?? null,
    languages,
    defaultLanguage: input.defaultLanguage ?? (input.languages ? (languages[0] ?? 'en') : 'en'),
    phoneValidation: input.phoneValidation ?? 'strict',
  });
  if (await findProjectByName(deps.db, input.name)) {
    throw new AppError('CONFLICT', `A project named "${input.name}" already exists.`, { details: { field: 'name' } });
  }
  try {
    deps.caches.projects.delete(input.name);
    return toProjectView(await insertProject(deps.db, { name: input.name, ...fields, settings: defaultProjectSettings }));
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new AppError('CONFLICT', `A project named "${input.name}" already exists.`, { cause: err, details: { field: 'name' } });
    }
    throw err;
  }
}

/** The project named in the path, if the actor may use it with at least `role`. */
async function projectByName(deps: ServiceDeps, name: string): Promise<Project | null> {
  let project = deps.caches.projects.get(name);
  if (project === undefined) {
    project = await findProjectByName(deps.db, name);
    deps.caches.projects.set(name, project);
  }
  return project;
}

export async function requireProject(deps: ServiceDeps, actor: Actor, name: string, role: ProjectRole = 'member'): Promise<Project> {
  const project = PROJECT_NAME.test(name) ? await projectByName(deps, name) : null;
  if (!project) {
    throw new AppError('NOT_FOUND', 'No such project, or you are not a member of it.');
  }
  if (actor.isSuperuser) {
    return project;
  }
  const has = await findMembershipRole(deps.db, project.id, actor.userId);
  if (!has) {
    throw new AppError('NOT_FOUND', 'No such project, or you are not a member of it.');
  }
  if (role === 'admin' && has !== 'admin') {
    throw new AppError('FORBIDDEN', 'Only a project admin can do this.');
  }
  return project;
}

/** The actor's role in the project: superusers act as admins everywhere; null for no membership. */
export async function projectRole(deps: ServiceDeps, actor: Actor, project: Project): Promise<ProjectRole | null> {
  return actor.isSuperuser ? 'admin' : findMembershipRole(deps.db, project.id, actor.userId);
}

export async function listVisibleProjects(deps: ServiceDeps, actor: Actor): Promise<Array<ProjectView & { role: ProjectRole | null }>> {
  const rows = await listProjectsForUser(deps.db, actor.userId, actor.isSuperuser);
  return rows.map((p) => ({ ...toProjectView(p), role: p.role }));
}

async function mergeSelfRegistration(deps: ServiceDeps, project: Project, patch: Partial<SelfRegistrationSettings> | undefined): Promise<SelfRegistrationSettings> {
  const merged = { ...project.settings.selfRegistration, ...(patch ?? {}) };
  if (merged.caseEnabled && !merged.caseType) {
    throw invalid('selfRegistration.caseType', 'Case self-registration needs a caseType.');
  }
  // The owner and submitter of self-registered cases must belong to this project (isolation).
  if (patch?.caseOwnerId) {
    await checkOwner(deps.db, project, patch.caseOwnerId, 'selfRegistration.caseOwnerId');
  }
  if (patch?.submitterId) {
    await checkOwner(deps.db, project, patch.submitterId, 'selfRegistration.submitterId');
  }
  return merged;
}

/** A default email gateway must be an email gateway this project can use (its own or a global one); stored as named. */
async function emailGatewayName(deps: ServiceDeps, project: Project, raw: string | null): Promise<string | null> {
  if (raw === null || raw.trim() === '') {
    return null;
  }
  const name = normaliseGatewayNameInput(raw);
  const g = name ? (await listUsableGateways(deps.db, project.id)).find((x) => x.name === name && x.channel === 'email') : undefined;
  if (!g) {
    throw new AppError('GATEWAY_NOT_FOUND', `defaultEmailGateway: no email gateway named ${raw} in this project or among the global gateways.`, { details: { field: 'defaultEmailGateway' } });
  }
  return g.name;
}

export async function patchProject(deps: ServiceDeps, project: Project, patch: ProjectPatch): Promise<ProjectView> {
  const welcomeSurveyId = patch.selfRegistration?.welcomeSurveyId;
  if (welcomeSurveyId) {
    await checkWelcomeSurvey(deps, project, welcomeSurveyId);
  }
  const fields = validateContactFields({
    timeZone: patch.timeZone ?? project.timeZone,
    defaultCountry: patch.defaultCountry === undefined ? project.defaultCountry : patch.defaultCountry,
    languages: patch.languages ?? [...project.languages],
    defaultLanguage: patch.defaultLanguage ?? project.defaultLanguage,
    phoneValidation: patch.phoneValidation ?? project.phoneValidation,
  });
  const settings: ProjectSettings = {
    selfRegistration: await mergeSelfRegistration(deps, project, patch.selfRegistration),
    helpText: patch.helpText === undefined ? project.settings.helpText : patch.helpText,
    defaultSmsResponse: patch.defaultSmsResponse === undefined ? project.settings.defaultSmsResponse : patch.defaultSmsResponse,
    defaultEmailGateway: patch.defaultEmailGateway === undefined ? project.settings.defaultEmailGateway : await emailGatewayName(deps, project, patch.defaultEmailGateway),
    systemTexts: patch.systemTexts === undefined ? project.settings.systemTexts : patch.systemTexts,
    optOutKeywords: patch.optOutKeywords === undefined ? project.settings.optOutKeywords : extraKeywords('optOutKeywords', patch.optOutKeywords),
    optInKeywords: patch.optInKeywords === undefined ? project.settings.optInKeywords : extraKeywords('optInKeywords', patch.optInKeywords),
  };
  const updated = await deps.db.transaction().execute(async (trx) => {
    // Compared with the row as stored (the project passed in may come from a cache).
    const before = (await lockProject(trx, project.id)) ?? project;
    const saved = await updateProject(trx, project.id, { ...fields, settings });
    // Cases' stored numbers and registry entries follow the new reading in the background.
    if (changesNumberReading(before, saved)) {
      await startContactReevaluation(trx, deps, saved);
    }
    return saved;
  });
  deps.caches.projects.delete(updated.name);
  return toProjectView(updated);
}

export interface MemberView {
  id: string;
  email: string;
  role: ProjectRole;
  createdAt: string;
  /** Whether the user has access to this project (false: deactivated here; their role is kept for reactivation). */
  active: boolean;
  deactivatedAt: string | null;
  /** Whether the account may sign in at all (false: a superuser deactivated it server-wide). */
  accountActive: boolean;
  /** When the user last signed in to the admin UI; null if never (API tokens do not count). */
  lastSignInAt: string | null;
}

export function toMemberView(m: ProjectMember): MemberView {
  return {
    id: m.id,
    email: m.email,
    role: m.role,
    createdAt: m.createdAt.toISOString(),
    active: m.active,
    deactivatedAt: m.deactivatedAt?.toISOString() ?? null,
    accountActive: m.accountActive,
    lastSignInAt: m.lastSignInAt?.toISOString() ?? null,
  };
}

/**
 * Adds a web user to the project, creating the user when the email is new. A user who already has
 * an account (in any project) is added with the password they have: the answer is the same either
 * way, and takes as long (the password is hashed in both cases), so a project admin cannot learn
 * which emails another organisation uses (issue 23).
 */
export async function addProjectUser(deps: ServiceDeps, project: Project, input: { email: string; password: string; role: ProjectRole }): Promise<MemberView> {
  validateCredentials(input.email, input.password);
  const email = input.email.trim();
  const passwordHash = await hashPassword(input.password);
  const existing = await findUserByEmail(deps.db, email);
  const membership = existing ? await findMembership(deps.db, project.id, existing.id) : null;
  if (membership) {
    throw new AppError(
      'CONFLICT',
      membership.active ? `${email} is already a member of this project.` : `${email} was deactivated in this project; reactivate them in the list of users instead.`,
      { details: { field: 'email' } },
    );
  }
  const user = existing ?? (await insertUser(deps.db, { email, passwordHash, isSuperuser: false }).catch(async (err: unknown) => {
    // Added at the same moment by another request: use that user.
    const raced = await findUserByEmail(deps.db, email);
    if (!raced) {
      throw err;
    }
    return raced;
  }));
  await upsertMembership(deps.db, project.id, user.id, input.role);
  const now = deps.clock().toISOString();
  // Whether the account existed (or is deactivated server-wide) is not told: see above.
  return { id: user.id, email, role: input.role, createdAt: now, active: true, deactivatedAt: null, accountActive: true, lastSignInAt: null };
}

/** Everyone with a membership of the project, active or deactivated, by email. */
export async function listProjectUsers(deps: ServiceDeps, project: Project): Promise<MemberView[]> {
  return (await listMembers(deps.db, project.id)).map(toMemberView);
}
