/**
 * @module domain/survey — SMS survey definitions and the pure rules of answering one: the exact text
 * of each question in a language, and whether a reply is a valid answer (and what is saved).
 *
 * Answers (issue 7):
 * - `text`: any non-blank reply, trimmed.
 * - `number`: digits with an optional sign and decimal point or comma (`12`, `-3`, `2.5`, `2,5`),
 *   within `min`/`max` when given; saved as written with `.` as the decimal mark.
 * - `choice`: the choice's number in the list (`1`, `2`, …), else its value, else its label (or a
 *   translated label), case-insensitively; the choice's `value` is saved.
 * - An optional question (`required: false`) is skipped with `SKIP` or `-` (nothing is saved).
 */
import { foldText } from './keywords.ts';
import { systemText, type SystemTextOverrides } from './system-texts.ts';

export type QuestionType = 'text' | 'number' | 'choice';

export interface SurveyChoice {
  value: string;
  label: string;
  /** The label per language (Default: the label in every language). */
  translations?: Readonly<Record<string, string>> | undefined;
}

export interface SurveyQuestion {
  id: string;
  text?: string | undefined;
  translations?: Readonly<Record<string, string>> | undefined;
  type: QuestionType;
  choices?: readonly SurveyChoice[] | undefined;
  min?: number | undefined;
  max?: number | undefined;
  /** The case property the answer is saved to; `name` sets the case name. */
  saveAs: string;
  /** Default: true. */
  required?: boolean | undefined;
}

/** What a session needs of its survey (kept with the session when it starts). */
export interface SurveyDefinition {
  name: string;
  questions: readonly SurveyQuestion[];
  closingMessage: string | null;
  closingTranslations: Readonly<Record<string, string>>;
  asksConsent: boolean;
  timeoutMinutes: number;
  reminderMinutes: number | null;
}

/** Replies that skip an optional question. */
export const SKIP_WORDS = ['SKIP', '-'] as const;

/** Invalid answers to one question before the session ends as incomplete (Default: 3). */
export const MAX_INVALID_ANSWERS = 3;

/** Default session timeout: 24 hours without an answer. */
export const DEFAULT_TIMEOUT_MINUTES = 1440;

function inLanguage(texts: Readonly<Record<string, string>> | undefined, language: string): string | undefined {
  if (!texts) {
    return undefined;
  }
  const key = Object.keys(texts).find((k) => k.toLowerCase() === language.toLowerCase());
  return key === undefined ? undefined : texts[key];
}

/** The text for a language: its translation, else the default language's, else the plain text. */
export function pickText(text: string | null | undefined, translations: Readonly<Record<string, string>> | undefined, language: string, defaultLanguage: string): string | null {
  return inLanguage(translations, language) ?? inLanguage(translations, defaultLanguage) ?? text ?? null;
}

export function isRequired(q: SurveyQuestion): boolean {
  return q.required !== false;
}

/**
 * The exact SMS of a question in one language: its text, then the numbered choices, then (for an
 * optional question) how to skip it. Null when the question has no text for that language.
 */
export function questionText(q: SurveyQuestion, language: string, defaultLanguage: string, overrides?: SystemTextOverrides | null): string | null {
  const base = pickText(q.text, q.translations, language, defaultLanguage);
  if (base === null) {
    return null;
  }
  const lines = [base];
  if (q.type === 'choice') {
    (q.choices ?? []).forEach((c, i) => lines.push(`${i + 1}. ${pickText(c.label, c.translations, language, defaultLanguage) ?? c.label}`));
  }
  if (!isRequired(q)) {
    lines.push(systemText('surveySkip', language, overrides));
  }
  return lines.join('\n');
}

/** The closing message in a language, or null when the survey has none. */
export function closingText(d: SurveyDefinition, language: string, defaultLanguage: string): string | null {
  const text = pickText(d.closingMessage, d.closingTranslations, language, defaultLanguage);
  return text && text.trim() !== '' ? text : null;
}

export type AnswerResult = { ok: true; value: string | null } | { ok: false; hint: string };

const NUMBER = /^[+-]?\d+(?:[.,]\d+)?$/;

function numberHint(q: SurveyQuestion, language: string, overrides?: SystemTextOverrides | null): string {
  if (q.min !== undefined && q.max !== undefined) {
    return systemText('surveyNumberBetween', language, overrides, { min: String(q.min), max: String(q.max) });
  }
  if (q.min !== undefined) {
    return systemText('surveyNumberAtLeast', language, overrides, { min: String(q.min) });
  }
  if (q.max !== undefined) {
    return systemText('surveyNumberAtMost', language, overrides, { max: String(q.max) });
  }
  return systemText('surveyNumber', language, overrides);
}

/** Reads a reply as an answer to the question; an invalid one comes with a short hint. */
export function parseAnswer(q: SurveyQuestion, reply: string, language: string, overrides?: SystemTextOverrides | null): AnswerResult {
  const text = reply.trim();
  if (text === '' || (SKIP_WORDS as readonly string[]).includes(foldText(text))) {
    return isRequired(q) ? { ok: false, hint: systemText('surveyRequired', language, overrides) } : { ok: true, value: null };
  }
  if (q.type === 'text') {
    return { ok: true, value: text };
  }
  if (q.type === 'number') {
    if (!NUMBER.test(text)) {
      return { ok: false, hint: numberHint(q, language, overrides) };
    }
    const normalised = text.replace(',', '.').replace(/^\+/, '');
    const n = Number(normalised);
    if ((q.min !== undefined && n < q.min) || (q.max !== undefined && n > q.max)) {
      return { ok: false, hint: numberHint(q, language, overrides) };
    }
    return { ok: true, value: normalised };
  }
  const choices = q.choices ?? [];
  const folded = foldText(text).replace(/[.)]$/, '');
  const byNumber = /^\d+$/.test(folded) ? choices[Number(folded) - 1] : undefined;
  const match =
    byNumber ??
    choices.find((c) => foldText(c.value) === folded) ??
    choices.find((c) => foldText(c.label) === folded || Object.values(c.translations ?? {}).some((l) => foldText(l) === folded));
  if (!match) {
    return { ok: false, hint: systemText('surveyChoice', language, overrides, { count: String(choices.length) }) };
  }
  return { ok: true, value: match.value };
}
