/**
 * @module store/project.store — projects and their settings.
 */
import type { Selectable } from 'kysely';

import { defaultProjectSettings, type Project, type ProjectSettings } from '../domain/project.ts';
import type { Db, ProjectTable, Trx } from './database.ts';

type ProjectRow = Selectable<ProjectTable>;

function mergeSettings(stored: Record<string, unknown>): ProjectSettings {
  const selfRegistration = { ...defaultProjectSettings.selfRegistration, ...((stored.selfRegistration as object | undefined) ?? {}) };
  return { ...defaultProjectSettings, ...stored, selfRegistration } as ProjectSettings;
}

export function projectRowToProject(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    timeZone: row.time_zone,
    defaultCountry: row.default_country,
    languages: row.languages,
    defaultLanguage: row.default_language,
    phoneValidation: row.phone_validation,
    settings: mergeSettings(row.settings),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewProject {
  name: string;
  timeZone: string;
  defaultCountry: string | null;
  languages: string[];
  defaultLanguage: string;
  phoneValidation: 'strict' | 'possible';
  settings: ProjectSettings;
}

export async function insertProject(db: Db, p: NewProject): Promise<Project> {
  const row = await db
    .insertInto('projects')
    .values({
      name: p.name,
      time_zone: p.timeZone,
      default_country: p.defaultCountry,
      languages: JSON.stringify(p.languages),
      default_language: p.defaultLanguage,
      phone_validation: p.phoneValidation,
      settings: JSON.stringify(p.settings),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return projectRowToProject(row);
}

export async function findProjectByName(db: Db, name: string): Promise<Project | null> {
  const row = await db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? projectRowToProject(row) : null;
}

export async function findProjectById(db: Db, id: string): Promise<Project | null> {
  const row = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? projectRowToProject(row) : null;
}

/** Locks the project row until the transaction ends (a settings change takes the same lock). */
export async function lockProject(trx: Trx, id: string): Promise<Project | null> {
  const row = await trx.selectFrom('projects').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? projectRowToProject(row) : null;
}

export async function updateProject(db: Db, id: string, p: Omit<NewProject, 'name'>): Promise<Project> {
  const row = await db
    .updateTable('projects')
    .set({
      time_zone: p.timeZone,
      default_country: p.defaultCountry,
      languages: JSON.stringify(p.languages),
      default_language: p.defaultLanguage,
      phone_validation: p.phoneValidation,
      settings: JSON.stringify(p.settings),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return projectRowToProject(row);
}

/** Projects a user can see: all for a superuser, else those with a membership. */
export async function listProjectsForUser(db: Db, userId: string, isSuperuser: boolean): Promise<Array<Project & { role: 'admin' | 'member' | null }>> {
  if (isSuperuser) {
    const rows = await db.selectFrom('projects').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ ...projectRowToProject(r), role: null }));
  }
  const rows = await db
    .selectFrom('projects')
    .innerJoin('memberships', 'memberships.project_id', 'projects.id')
    .selectAll('projects')
    .select('memberships.role')
    .where('memberships.user_id', '=', userId)
    .orderBy('projects.name')
    .execute();
  return rows.map((r) => ({ ...projectRowToProject(r), role: r.role }));
}

export async function findProjectsByIds(db: Db, ids: readonly string[]): Promise<Map<string, Project>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db.selectFrom('projects').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, projectRowToProject(r)]));
}
