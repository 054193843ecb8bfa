/**
 * @module domain/import-row — what one spreadsheet row asks for, before anything is looked up or
 * written: the match key, the fields and property changes (blank = leave unchanged, `---` = clear),
 * and what to do with the row once it is known whether the key matches a record. Pure: the dry run
 * and the real run both decide through these functions, so they cannot disagree.
 */
import type { ErrorCode } from '../errors.ts';
import { nameProblem } from './name.ts';
import { parsePhoneNumber } from './phone-number.ts';
import type { ProjectContactSettings } from './project.ts';

export type ImportTarget = 'cases' | 'mobile-workers';
export type MatchBy = 'case_id' | 'external_id';
export type RowAction = 'create' | 'update' | 'skip' | 'fail';

/** A cell holding exactly this clears the property it is mapped to (RapidPro uses `--`). */
export const CLEAR_VALUE = '---';
/** Case fields a column may be mapped to; any other target is a case property. */
export const CASE_FIELDS = ['name', 'external_id', 'owner_id'] as const;
export const WORKER_FIELDS = ['username', 'phone_numbers', 'language', 'time_zone', 'email'] as const;
/** The rule of the API for property names (http/api/schemas.ts): a letter, then letters, digits, _ or -. */
export const PROPERTY_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;
const MAX_VALUE = 10_000;
const MAX_FIELD = 255;
/**
 * Longest cell read from a file, in characters (Default: 32 KiB; Excel's own limit is 32,767). The
 * parser (services/import-file.ts) cuts longer cells to this and notes them on the row; a row with
 * such a cell in a column the run uses fails with a row error naming the column (issue 23).
 */
export const MAX_CELL = 32 * 1024;

/** A row as the parser gives it: its cells (cut to MAX_CELL) and the cells that were longer. */
export interface DraftSource {
  row: number;
  cells: readonly string[];
  longCells?: readonly { column: number; length: number }[] | undefined;
}

export interface RowProblem {
  /** Spreadsheet row number (the header is row 1). */
  row: number;
  column: string | null;
  code: ErrorCode;
  message: string;
}

export interface CaseDraft {
  row: number;
  /** The match column's value (null: blank or no match column). */
  key: string | null;
  /** The spreadsheet row that first had the same key (this one is not applied). */
  duplicateOf: number | null;
  name: string | null;
  externalId: string | null;
  ownerId: string | null;
  /** Property changes: text sets, null clears. Blank cells are absent (left unchanged). */
  properties: Record<string, string | null>;
  problems: RowProblem[];
  /** Why the row cannot be imported at all (a cell over MAX_CELL in a column the run uses). */
  refused?: RowProblem;
}

interface Mapped {
  index: number;
  column: string;
  target: string;
}

function mappedColumns(columns: readonly string[], mapping: Readonly<Record<string, string>>): Mapped[] {
  return columns.flatMap((column, index) => {
    const target = mapping[column]?.trim();
    return target ? [{ index, column, target }] : [];
  });
}

/** Which column each mapped target came from, for putting a contact problem on its column. */
export function columnOfTarget(mapping: Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [column, target] of Object.entries(mapping)) {
    if (target.trim()) {
      out.set(target.trim(), column);
    }
  }
  return out;
}

function tooLong(row: number, column: string, max: number): RowProblem {
  return { row, column, code: 'VALIDATION_ERROR', message: `The value is longer than ${max} characters; it was not imported.` };
}

/** The row error of a cell over MAX_CELL in one of `used` (column indexes), or undefined. */
function longCellProblem(r: DraftSource, columns: readonly string[], used: ReadonlySet<number>): RowProblem | undefined {
  const long = r.longCells?.find((l) => used.has(l.column));
  if (!long) {
    return undefined;
  }
  const column = columns[long.column] ?? null;
  return {
    row: r.row,
    column,
    code: 'VALIDATION_ERROR',
    message: `The cell in column "${column ?? ''}" holds ${long.length.toLocaleString('en')} characters; a cell may hold at most ${MAX_CELL.toLocaleString('en')}, so this row was not imported.`,
  };
}

/** Reads the rows of a case import (see the module comment for the cell rules). */
export function draftCaseRows(
  columns: readonly string[],
  rows: readonly DraftSource[],
  o: { mapping: Readonly<Record<string, string>>; matchColumn: string | null; matchBy: MatchBy },
): CaseDraft[] {
  const mapped = mappedColumns(columns, o.mapping);
  const matchIndex = o.matchColumn === null ? -1 : columns.indexOf(o.matchColumn);
  const used = new Set([...mapped.map((m) => m.index), ...(matchIndex < 0 ? [] : [matchIndex])]);
  const firstRowOfKey = new Map<string, number>();
  return rows.map((r) => {
    const refused = longCellProblem(r, columns, used);
    if (refused) {
      return { row: r.row, key: null, duplicateOf: null, name: null, externalId: null, ownerId: null, properties: {}, problems: [], refused };
    }
    const rawKey = matchIndex < 0 ? '' : (r.cells[matchIndex] ?? '').trim();
    const key = rawKey === '' || rawKey === CLEAR_VALUE ? null : rawKey;
    let duplicateOf: number | null = null;
    if (key !== null) {
      const keyId = o.matchBy === 'case_id' ? key.toLowerCase() : key;
      duplicateOf = firstRowOfKey.get(keyId) ?? null;
      if (duplicateOf === null) {
        firstRowOfKey.set(keyId, r.row);
      }
    }
    const d: CaseDraft = { row: r.row, key, duplicateOf, name: null, externalId: o.matchBy === 'external_id' ? key : null, ownerId: null, properties: {}, problems: [] };
    for (const m of mapped) {
      const value = (r.cells[m.index] ?? '').trim();
      if (value === '') {
        continue;
      }
      const clear = value === CLEAR_VALUE;
      if (m.target === 'name') {
        if (clear) {
          d.problems.push({ row: r.row, column: m.column, code: 'VALIDATION_ERROR', message: 'A case name cannot be cleared; the name was left as it was.' });
        } else if (value.length > MAX_FIELD) {
          d.problems.push(tooLong(r.row, m.column, MAX_FIELD));
        } else {
          d.name = value;
        }
      } else if (m.target === 'external_id' || m.target === 'owner_id') {
        if (!clear && value.length <= MAX_FIELD) {
          d[m.target === 'external_id' ? 'externalId' : 'ownerId'] = value;
        } else if (!clear) {
          d.problems.push(tooLong(r.row, m.column, MAX_FIELD));
        }
      } else if (clear) {
        d.properties[m.target] = null;
      } else if (value.length > MAX_VALUE) {
        d.problems.push(tooLong(r.row, m.column, MAX_VALUE));
      } else {
        d.properties[m.target] = value;
      }
    }
    return d;
  });
}

export interface RowDecision {
  action: RowAction;
  problem: RowProblem | null;
}

/**
 * What to do with a drafted row, knowing whether its key matched. An unknown key is skipped when new
 * records are not wanted; a case id that matches nothing fails (a typo must not create a second case).
 */
export function decideCaseRow(d: CaseDraft, found: boolean, o: { matchBy: MatchBy; createNew: boolean; matchColumn: string | null; nameColumn: string | null }): RowDecision {
  const fail = (code: ErrorCode, message: string, column: string | null = o.matchColumn): RowDecision => ({ action: 'fail', problem: { row: d.row, column, code, message } });
  if (d.refused) {
    return { action: 'fail', problem: d.refused };
  }
  if (d.duplicateOf !== null) {
    return fail('IMPORT_DUPLICATE_ROW', `Row ${d.duplicateOf} has the same ${o.matchBy === 'case_id' ? 'case id' : 'external id'} "${d.key ?? ''}"; this row was not imported.`);
  }
  const badName = d.name === null ? null : nameProblem(d.name); // the rule of domain/name.ts, as the API applies it
  if (badName !== null) {
    return fail('VALIDATION_ERROR', `The name ${badName}`, o.nameColumn);
  }
  if (d.key !== null && found) {
    return { action: 'update', problem: null };
  }
  if (!o.createNew) {
    return { action: 'skip', problem: null };
  }
  if (d.key !== null && o.matchBy === 'case_id') {
    return fail('IMPORT_CASE_NOT_FOUND', `No case of this case type has the id "${d.key}"; clear the case id cell to create a new case.`);
  }
  if (d.name === null) {
    return fail('IMPORT_NAME_MISSING', 'A new case needs a name, and the name cell of this row is blank (or no column is mapped to name).', o.nameColumn);
  }
  return { action: 'create', problem: null };
}

export interface WorkerDraft {
  row: number;
  username: string | null;
  duplicateOf: number | null;
  language?: string;
  timeZone?: string;
  email?: string;
  /** Valid numbers in E.164, in the order given. */
  numbers: string[];
  /** Numbers of the row that are not valid (also among `problems`), as typed, with the reason. */
  invalidNumbers?: { column: string; value: string; reason: string }[];
  problems: RowProblem[];
  /** Why the row cannot be imported at all (a cell over MAX_CELL in a column the run uses). */
  refused?: RowProblem;
}

/** Reads the rows of a mobile-worker import; several numbers in one cell are separated by , or ;. */
export function draftWorkerRows(
  columns: readonly string[],
  rows: readonly DraftSource[],
  o: { mapping: Readonly<Record<string, string>>; project: ProjectContactSettings },
): WorkerDraft[] {
  const mapped = mappedColumns(columns, o.mapping);
  const used = new Set(mapped.map((m) => m.index));
  const firstRow = new Map<string, number>();
  return rows.map((r) => {
    const refused = longCellProblem(r, columns, used);
    if (refused) {
      return { row: r.row, username: null, duplicateOf: null, numbers: [], problems: [], refused };
    }
    const d: WorkerDraft = { row: r.row, username: null, duplicateOf: null, numbers: [], problems: [] };
    for (const m of mapped) {
      const value = (r.cells[m.index] ?? '').trim();
      if (value === '' || value === CLEAR_VALUE) {
        continue;
      }
      if (m.target === 'username') {
        d.username = value;
      } else if (m.target === 'language') {
        d.language = value;
      } else if (m.target === 'time_zone') {
        d.timeZone = value;
      } else if (m.target === 'email') {
        d.email = value;
      } else if (m.target === 'phone_numbers') {
        for (const part of value.split(/[,;]/).map((p) => p.trim()).filter(Boolean)) {
          const parsed = parsePhoneNumber(part, { defaultCountry: o.project.defaultCountry, validation: o.project.phoneValidation });
          if (parsed.kind === 'valid') {
            d.numbers.push(parsed.e164);
          } else if (parsed.kind === 'invalid') {
            d.problems.push({ row: r.row, column: m.column, code: 'INVALID_PHONE_NUMBER', message: parsed.message });
            (d.invalidNumbers ??= []).push({ column: m.column, value: part, reason: parsed.message });
          }
        }
      }
    }
    if (d.username !== null) {
      const key = d.username.toLowerCase();
      d.duplicateOf = firstRow.get(key) ?? null;
      if (d.duplicateOf === null) {
        firstRow.set(key, r.row);
      }
    }
    return d;
  });
}

export function decideWorkerRow(d: WorkerDraft, found: boolean, o: { createNew: boolean; usernameColumn: string | null }): RowDecision {
  if (d.refused) {
    return { action: 'fail', problem: d.refused };
  }
  if (d.username === null) {
    return { action: 'fail', problem: { row: d.row, column: o.usernameColumn, code: 'IMPORT_NAME_MISSING', message: 'A mobile worker needs a username, and this row has none.' } };
  }
  if (d.duplicateOf !== null) {
    return { action: 'fail', problem: { row: d.row, column: o.usernameColumn, code: 'IMPORT_DUPLICATE_ROW', message: `Row ${d.duplicateOf} has the same username "${d.username}"; this row was not imported.` } };
  }
  if (found) {
    return { action: 'update', problem: null };
  }
  return { action: o.createNew ? 'create' : 'skip', problem: null };
}

/** Words read as consent when the admin confirms it (issue 24): yes (en), oui (fr), ndiyo (sw). */
export const CONSENT_YES_WORDS = ['yes', 'oui', 'ndiyo'] as const;
/** …and as no consent: no, non, hapana. */
export const CONSENT_NO_WORDS = ['no', 'non', 'hapana'] as const;
/** The values the consent property is meant to hold (domain/consent.ts: only 1 and true mean consent). */
const CONSENT_PLAIN = new Set(['1', '0', 'true', 'false']);

/** What a consent word is read as when confirmed: '1', '0', or null for anything else. */
export function consentWordValue(value: string): '1' | '0' | null {
  const v = value.trim().toLowerCase();
  return (CONSENT_YES_WORDS as readonly string[]).includes(v) ? '1' : (CONSENT_NO_WORDS as readonly string[]).includes(v) ? '0' : null;
}

/** Whether a consent cell holds one of 1, 0, true, false (trimmed, any case). */
export function isPlainConsentValue(value: string): boolean {
  return CONSENT_PLAIN.has(value.trim().toLowerCase());
}

/** The consent column's values other than 1/0/true/false, for the dry run's warning. */
export interface ConsentColumnReport {
  column: string;
  /** Each distinct value (as first typed; the same letters in another case count as one), its rows, and what it is read as when the words are confirmed. */
  values: { value: string; count: number; becomes: '1' | '0' | null }[];
  /** Every such value is a yes/no word: the words may be confirmed. */
  wordsOnly: boolean;
  /** The words were read as 1/0 (the run's consentWords). */
  applied: boolean;
}

/**
 * Checks the consent column of drafted case rows (mapped to `property`, from `column`). Values other
 * than 1/0/true/false are counted; with `applyWords` the yes/no words become 1/0 before the rows are
 * saved. A value left that is not 1/0/true/false is a row problem (IMPORT_CONSENT_VALUE): the row is
 * imported as typed, and without consent, but never silently. Changes `drafts` in place.
 */
export function checkConsentColumn(drafts: CaseDraft[], property: string, column: string, applyWords: boolean): ConsentColumnReport {
  const seen = new Map<string, { value: string; count: number; becomes: '1' | '0' | null }>();
  for (const d of drafts) {
    const value = d.refused ? undefined : d.properties[property];
    if (typeof value !== 'string' || isPlainConsentValue(value)) {
      continue;
    }
    const becomes = consentWordValue(value);
    const key = value.toLowerCase();
    const entry = seen.get(key);
    if (entry) {
      entry.count++;
    } else if (seen.size < 1000) {
      seen.set(key, { value, count: 1, becomes });
    }
    if (applyWords && becomes !== null) {
      d.properties[property] = becomes;
      continue;
    }
    d.problems.push({
      row: d.row,
      column,
      code: 'IMPORT_CONSENT_VALUE',
      message:
        becomes === null
          ? `"${value}" is not a consent value: only 1 or true mean consent (0 or false: none), so this contact gets no consent. Write 1 or 0.`
          : `"${value}" does not mean consent here (only 1 or true do), so this contact gets no consent. ` +
            `Tick "Read yes/oui/ndiyo as consent and no/non/hapana as no consent" in the dry run (consentWords in the API), or write 1 or 0.`,
    });
  }
  const values = [...seen.values()];
  return { column, values, wordsOnly: values.length > 0 && values.every((v) => v.becomes !== null), applied: applyWords };
}
