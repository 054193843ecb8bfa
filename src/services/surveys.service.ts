/**
 * @module services/surveys.service — SMS survey definitions of a project (issue 7): create, read,
 * list, replace, patch, delete, with the checks a survey must pass before anyone can be asked it, and
 * the exact SMS texts per language (the preview the editor shows).
 */
import { nameProblem } from '../domain/name.ts';
import type { Project } from '../domain/project.ts';
import { closingText, DEFAULT_TIMEOUT_MINUTES, questionText, type SurveyChoice, type SurveyDefinition, type SurveyQuestion } from '../domain/survey.ts';
import { AppError } from '../errors.ts';
import { deleteSurvey, findSurvey, insertSurvey, listSurveys, type SurveyRecord, updateSurvey } from '../store/survey.store.ts';
import { isUuid, type ServiceDeps } from './deps.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';

/** Case property names a survey may save to (the same rule as the case API). */
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;

/** Longest timeout a session may have (Default: 30 days). */
const MAX_TIMEOUT_MINUTES = 30 * 1440;

export interface SurveyInput {
  name: string;
  questions: SurveyQuestion[];
  closingMessage?: string | null | undefined;
  closingTranslations?: Record<string, string> | undefined;
  asksConsent?: boolean | undefined;
  timeoutMinutes?: number | undefined;
  reminderMinutes?: number | null | undefined;
}

export type SurveyPatch = Partial<SurveyInput>;

export interface SurveyView extends SurveyDefinition {
  id: string;
  /** The SMS texts per project language: each question as sent, then the closing message. */
  preview: Record<string, { questions: Array<{ id: string; text: string | null }>; closingMessage: string | null }>;
  createdAt: string;
  updatedAt: string;
}

export function surveyPreview(project: Project, d: SurveyDefinition): SurveyView['preview'] {
  const out: SurveyView['preview'] = {};
  for (const language of project.languages) {
    out[language] = {
      questions: d.questions.map((q) => ({ id: q.id, text: questionText(q, language, project.defaultLanguage, project.settings.systemTexts) })),
      closingMessage: closingText(d, language, project.defaultLanguage),
    };
  }
  return out;
}

export function toSurveyView(project: Project, s: SurveyRecord): SurveyView {
  return {
    id: s.id,
    name: s.name,
    questions: s.questions,
    closingMessage: s.closingMessage,
    closingTranslations: s.closingTranslations,
    asksConsent: s.asksConsent,
    timeoutMinutes: s.timeoutMinutes,
    reminderMinutes: s.reminderMinutes,
    preview: surveyPreview(project, s),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

interface Issue {
  field: string;
  message: string;
}

function checkTranslations(project: Project, field: string, translations: Readonly<Record<string, string>> | undefined, issues: Issue[]): void {
  for (const [language, text] of Object.entries(translations ?? {})) {
    if (!project.languages.includes(language)) {
      issues.push({ field: `${field}.${language}`, message: `"${language}" is not one of the project's languages (${project.languages.join(', ')}).` });
    } else if (text.trim() === '') {
      issues.push({ field: `${field}.${language}`, message: 'A translation cannot be blank.' });
    }
  }
}

function hasDefaultText(project: Project, text: string | null | undefined, translations: Readonly<Record<string, string>> | undefined): boolean {
  return (typeof text === 'string' && text.trim() !== '') || (translations?.[project.defaultLanguage] ?? '').trim() !== '';
}

function checkChoices(project: Project, field: string, choices: readonly SurveyChoice[] | undefined, issues: Issue[]): void {
  if (!choices || choices.length < 2) {
    issues.push({ field: `${field}.choices`, message: 'A choice question needs at least two choices.' });
    return;
  }
  const values = new Set<string>();
  choices.forEach((c, i) => {
    const key = c.value.trim().toLowerCase();
    if (values.has(key)) {
      issues.push({ field: `${field}.choices.${i}.value`, message: `The value "${c.value}" is used by two choices.` });
    }
    values.add(key);
    checkTranslations(project, `${field}.choices.${i}.translations`, c.translations, issues);
  });
}

/** Checks a whole survey against the project; every problem is listed in details.issues. */
export function validateSurvey(project: Project, input: SurveyInput): SurveyDefinition {
  const issues: Issue[] = [];
  const badName = nameProblem(input.name);
  if (input.name.trim() === '') {
    issues.push({ field: 'name', message: 'A survey needs a name.' });
  } else if (badName !== null) {
    issues.push({ field: 'name', message: `The name ${badName}` });
  }
  if (input.questions.length === 0) {
    issues.push({ field: 'questions', message: 'A survey needs at least one question.' });
  }
  const ids = new Set<string>();
  input.questions.forEach((q, i) => {
    const field = `questions.${i}`;
    if (ids.has(q.id)) {
      issues.push({ field: `${field}.id`, message: `The question id "${q.id}" is used twice; ids must be unique.` });
    }
    ids.add(q.id);
    if (!PROPERTY_NAME.test(q.saveAs)) {
      issues.push({ field: `${field}.saveAs`, message: `"${q.saveAs}" is not a case property name: 1–100 letters, digits, _ or -, starting with a letter.` });
    }
    checkTranslations(project, `${field}.translations`, q.translations, issues);
    if (!hasDefaultText(project, q.text, q.translations)) {
      issues.push({ field: `${field}.text`, message: `Give the question a text, or a translation for the default language (${project.defaultLanguage}).` });
    }
    if (q.type === 'choice') {
      checkChoices(project, field, q.choices, issues);
    } else if (q.choices !== undefined) {
      issues.push({ field: `${field}.choices`, message: 'Only a choice question has choices.' });
    }
    if (q.type !== 'number' && (q.min !== undefined || q.max !== undefined)) {
      issues.push({ field: `${field}.min`, message: 'Only a number question has min and max.' });
    }
    if (q.min !== undefined && q.max !== undefined && q.min > q.max) {
      issues.push({ field: `${field}.max`, message: 'max must not be less than min.' });
    }
  });
  checkTranslations(project, 'closingTranslations', input.closingTranslations, issues);
  const timeoutMinutes = input.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES;
  const reminderMinutes = input.reminderMinutes ?? null;
  if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 1 || timeoutMinutes > MAX_TIMEOUT_MINUTES) {
    issues.push({ field: 'timeoutMinutes', message: `timeoutMinutes must be a whole number from 1 to ${MAX_TIMEOUT_MINUTES}.` });
  }
  if (reminderMinutes !== null && (!Number.isInteger(reminderMinutes) || reminderMinutes < 1 || reminderMinutes >= timeoutMinutes)) {
    issues.push({ field: 'reminderMinutes', message: 'reminderMinutes must be a whole number of at least 1 and less than timeoutMinutes.' });
  }
  const first = issues[0];
  if (first) {
    throw new AppError('VALIDATION_ERROR', `${first.field}: ${first.message}`, { details: { issues } });
  }
  return {
    name: input.name.trim(),
    questions: input.questions.map((q) => ({ ...q, required: q.required ?? true })),
    closingMessage: input.closingMessage ?? null,
    closingTranslations: input.closingTranslations ?? {},
    asksConsent: input.asksConsent ?? false,
    timeoutMinutes,
    reminderMinutes,
  };
}

async function requireSurvey(deps: ServiceDeps, project: Project, id: string): Promise<SurveyRecord> {
  const s = isUuid(id) ? await findSurvey(deps.db, project.id, id) : null;
  if (!s) {
    throw new AppError('NOT_FOUND', 'No such survey in this project.');
  }
  return s;
}

export async function createSurvey(deps: ServiceDeps, project: Project, input: SurveyInput): Promise<SurveyView> {
  return toSurveyView(project, await insertSurvey(deps.db, project.id, validateSurvey(project, input), deps.clock()));
}

export async function getSurvey(deps: ServiceDeps, project: Project, id: string): Promise<SurveyView> {
  return toSurveyView(project, await requireSurvey(deps, project, id));
}

export async function listProjectSurveys(deps: ServiceDeps, project: Project, q: { limit: number; cursor?: string | undefined }): Promise<Page<SurveyView>> {
  const rows = await listSurveys(deps.db, project.id, q.cursor === undefined ? null : decodeCursor(q.cursor), q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { items: page.map((s) => toSurveyView(project, s)), nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null };
}

/** PUT: the survey becomes exactly `input`. Open sessions keep the version they started with. */
export async function replaceSurvey(deps: ServiceDeps, project: Project, id: string, input: SurveyInput): Promise<SurveyView> {
  await requireSurvey(deps, project, id);
  const saved = await updateSurvey(deps.db, project.id, id, validateSurvey(project, input), deps.clock());
  if (!saved) {
    throw new AppError('NOT_FOUND', 'No such survey in this project.');
  }
  return toSurveyView(project, saved);
}

/** PATCH: the given top-level fields replace the current ones; the result is checked as a whole. */
export async function patchSurvey(deps: ServiceDeps, project: Project, id: string, patch: SurveyPatch): Promise<SurveyView> {
  const current = await requireSurvey(deps, project, id);
  const merged: SurveyInput = {
    name: patch.name ?? current.name,
    questions: patch.questions ?? [...current.questions],
    closingMessage: patch.closingMessage === undefined ? current.closingMessage : patch.closingMessage,
    closingTranslations: patch.closingTranslations ?? { ...current.closingTranslations },
    asksConsent: patch.asksConsent ?? current.asksConsent,
    timeoutMinutes: patch.timeoutMinutes ?? current.timeoutMinutes,
    reminderMinutes: patch.reminderMinutes === undefined ? current.reminderMinutes : patch.reminderMinutes,
  };
  return replaceSurvey(deps, project, id, merged);
}

/** Deletes the survey with its sessions (answers already saved stay on the cases). */
export async function removeSurvey(deps: ServiceDeps, project: Project, id: string): Promise<void> {
  await requireSurvey(deps, project, id);
  if (project.settings.selfRegistration.welcomeSurveyId === id) {
    throw new AppError('CONFLICT', 'This survey is the welcome survey of self-registration; choose another welcome survey (or none) first.');
  }
  await deleteSurvey(deps.db, project.id, id);
}

/** For the project settings: the welcome survey must be a survey of this project. */
export async function checkWelcomeSurvey(deps: ServiceDeps, project: Project, id: string): Promise<void> {
  if (!isUuid(id) || !(await findSurvey(deps.db, project.id, id))) {
    throw new AppError('VALIDATION_ERROR', 'selfRegistration.welcomeSurveyId must be the id of a survey of this project.', { details: { field: 'selfRegistration.welcomeSurveyId' } });
  }
}
