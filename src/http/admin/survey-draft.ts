/**
 * @module http/admin/survey-draft — the survey editor's form as data: a draft read from the posted
 * fields (`q.0.text`, `q.0.tr.fr`, choices one per line as `value | label | fr: label`), turned into
 * a survey for the service, and changed by the editor's buttons (add, move, remove).
 */
import type { Project } from '../../domain/project.ts';
import type { QuestionType, SurveyChoice, SurveyQuestion } from '../../domain/survey.ts';
import type { SurveyInput, SurveyView } from '../../services/surveys.service.ts';
import { formValue } from './ui.tsx';

export interface DraftQuestion {
  id: string;
  type: QuestionType;
  text: string;
  translations: Record<string, string>;
  saveAs: string;
  required: boolean;
  min: string;
  max: string;
  /** One choice per line: `value | label | fr: translated label`. */
  choices: string;
}

export interface Draft {
  name: string;
  asksConsent: boolean;
  closingMessage: string;
  closingTranslations: Record<string, string>;
  timeoutMinutes: string;
  reminderMinutes: string;
  questions: DraftQuestion[];
}

export const TYPES: QuestionType[] = ['text', 'number', 'choice'];

function blankQuestion(n: number): DraftQuestion {
  return { id: `q${n}`, type: 'text', text: '', translations: {}, saveAs: '', required: true, min: '', max: '', choices: '' };
}

function choicesText(choices: readonly SurveyChoice[] | undefined): string {
  return (choices ?? []).map((c) => [c.value, c.label, ...Object.entries(c.translations ?? {}).map(([l, t]) => `${l}: ${t}`)].join(' | ')).join('\n');
}

function parseChoices(text: string): SurveyChoice[] {
  return text
    .split('\n')
    .map((line) => line.split('|').map((p) => p.trim()))
    .filter((parts) => parts.some((p) => p !== ''))
    .map((parts) => {
      const [value = '', label = value, ...rest] = parts;
      const translations: Record<string, string> = {};
      for (const r of rest) {
        const m = /^([A-Za-z-]{2,12})\s*:\s*(.+)$/.exec(r);
        if (m?.[1] && m[2]) {
          translations[m[1]] = m[2];
        }
      }
      return { value, label: label || value, ...(Object.keys(translations).length ? { translations } : {}) };
    });
}

export function draftOf(s: SurveyView | null): Draft {
  if (!s) {
    return { name: '', asksConsent: false, closingMessage: '', closingTranslations: {}, timeoutMinutes: '1440', reminderMinutes: '', questions: [blankQuestion(1)] };
  }
  return {
    name: s.name,
    asksConsent: s.asksConsent,
    closingMessage: s.closingMessage ?? '',
    closingTranslations: { ...s.closingTranslations },
    timeoutMinutes: String(s.timeoutMinutes),
    reminderMinutes: s.reminderMinutes === null ? '' : String(s.reminderMinutes),
    questions: s.questions.map((q) => ({
      id: q.id,
      type: q.type,
      text: q.text ?? '',
      translations: { ...(q.translations ?? {}) },
      saveAs: q.saveAs,
      required: q.required !== false,
      min: q.min === undefined ? '' : String(q.min),
      max: q.max === undefined ? '' : String(q.max),
      choices: choicesText(q.choices),
    })),
  };
}

export function otherLanguages(project: Project): string[] {
  return project.languages.filter((l) => l !== project.defaultLanguage);
}

export function draftFromForm(body: unknown, project: Project): Draft {
  const count = Math.min(100, Math.max(0, Number(formValue(body, 'count')) || 0));
  const translationsOf = (prefix: string) => Object.fromEntries(otherLanguages(project).flatMap((l) => (formValue(body, `${prefix}.${l}`).trim() ? [[l, formValue(body, `${prefix}.${l}`)]] : [])));
  const questions: DraftQuestion[] = [];
  for (let i = 0; i < count; i++) {
    const type = formValue(body, `q.${i}.type`) as QuestionType;
    questions.push({
      id: formValue(body, `q.${i}.id`).trim(),
      type: TYPES.includes(type) ? type : 'text',
      text: formValue(body, `q.${i}.text`),
      translations: translationsOf(`q.${i}.tr`),
      saveAs: formValue(body, `q.${i}.saveAs`).trim(),
      required: formValue(body, `q.${i}.required`) === '1',
      min: formValue(body, `q.${i}.min`).trim(),
      max: formValue(body, `q.${i}.max`).trim(),
      choices: formValue(body, `q.${i}.choices`),
    });
  }
  return {
    name: formValue(body, 'name'),
    asksConsent: formValue(body, 'asksConsent') === '1',
    closingMessage: formValue(body, 'closingMessage'),
    closingTranslations: translationsOf('closing.tr'),
    timeoutMinutes: formValue(body, 'timeoutMinutes').trim(),
    reminderMinutes: formValue(body, 'reminderMinutes').trim(),
    questions,
  };
}

const numberOrUndefined = (s: string) => (s === '' ? undefined : Number(s));

export function inputOf(d: Draft): SurveyInput {
  return {
    name: d.name,
    asksConsent: d.asksConsent,
    closingMessage: d.closingMessage.trim() === '' ? null : d.closingMessage,
    closingTranslations: d.closingTranslations,
    timeoutMinutes: numberOrUndefined(d.timeoutMinutes),
    reminderMinutes: d.reminderMinutes === '' ? null : Number(d.reminderMinutes),
    questions: d.questions.map((q): SurveyQuestion => {
      const min = q.type === 'number' ? numberOrUndefined(q.min) : undefined;
      const max = q.type === 'number' ? numberOrUndefined(q.max) : undefined;
      return {
        id: q.id,
        type: q.type,
        ...(q.text.trim() ? { text: q.text } : {}),
        ...(Object.keys(q.translations).length ? { translations: q.translations } : {}),
        saveAs: q.saveAs,
        required: q.required,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
        ...(q.type === 'choice' ? { choices: parseChoices(q.choices) } : {}),
      };
    }),
  };
}

/** Applies an editor button: add a question, remove one, move one up or down. */
export function applyOp(d: Draft, op: string): Draft {
  const m = /^(remove|up|down)-(\d+)$/.exec(op);
  const qs = [...d.questions];
  if (op === 'add') {
    qs.push(blankQuestion(qs.length + 1));
  } else if (m?.[1] && m[2] !== undefined) {
    const i = Number(m[2]);
    if (m[1] === 'remove') {
      qs.splice(i, 1);
    } else {
      const j = m[1] === 'up' ? i - 1 : i + 1;
      const a = qs[i];
      const b = qs[j];
      if (a && b) {
        qs[i] = b;
        qs[j] = a;
      }
    }
  }
  return { ...d, questions: qs };
}
