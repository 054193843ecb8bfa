/**
 * @module services/contacts-export.service — "export contacts": the project's cases (filtered as
 * the contacts list filters them) as CSV or .xlsx with the seeds' import columns ("Bulk
 * Registration of Contacts": `case id`, `Case Name`, contact_phone_number, …), then every other
 * property, so that the file goes back through the import (match by case id) with no change.
 *
 * Rows are read a page at a time by keyset (seq), never all at once: the CSV is streamed; the
 * .xlsx is built in memory and so holds at most 100,000 cases (what an import reads).
 *
 * Formula injection: a cell starting with = + - @ (or tab, CR) gets a leading apostrophe
 * (import-export.ts `protectCell`; our import reader takes it off again). One exception, chosen so
 * phone numbers round-trip and read right in a spreadsheet: a cell that is a "+" followed only by
 * digits, spaces and ( ) . - (a number such as +254 712 345678) is written as it is — with no
 * letter, no `|`, `!` or `(` after a name, a spreadsheet can at most read it as arithmetic on
 * numbers, never as a function call or a DDE link.
 */
import { Readable } from 'node:stream';

import * as XLSX from '@e965/xlsx';

import type { Project } from '../domain/project.ts';
import { AppError } from '../errors.ts';
import { type CaseRecord, listFilteredCases, propertyKeysOfCases } from '../store/case.store.ts';
import type { ContactFilter } from './cases.service.ts';
import { storeFilter } from './cases.service.ts';
import type { ServiceDeps } from './deps.ts';
import { protectCell } from './import-export.ts';

/** The seeds' columns first, in the template's spelling; the import maps each back. */
export const EXPORT_FIELD_COLUMNS = ['case id', 'Case Name', 'external_id', 'owner_id'] as const;
export const EXPORT_CONTACT_COLUMNS = ['contact_phone_number', 'contact_phone_number_is_verified', 'commcare_email_address', 'language_code', 'time_zone', 'contact_backend_id'] as const;

/** The most cases an .xlsx export holds (an import reads no more). */
export const XLSX_EXPORT_LIMIT = 100_000;
const PAGE = 1000;

/** Header keys the import reads as a field, not a property: a property of that name cannot be exported. */
const RESERVED = new Set(['case_id', 'caseid', 'case_name', 'name', 'external_id', 'owner_id']);

function headerKey(column: string): string {
  return column.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** A phone number as people write it: + then digits and ( ) . - or spaces. Not a formula risk. */
const PHONE_LIKE = /^\+[\d\s().-]*\d[\d\s().-]*$/;

/** protectCell, except for a number written with its +, which is left as it is (see the module doc). */
export function exportCell(text: string): string {
  return PHONE_LIKE.test(text) ? text : protectCell(text);
}

function csvCell(text: string): string {
  const t = exportCell(text);
  return /[",\r\n;]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

export interface ExportPlan {
  columns: string[];
  propertyColumns: string[];
  rows(): AsyncGenerator<string[]>;
}

/** The columns (the seeds' then the other properties, sorted) and a reader of the rows by page. */
export async function planExport(deps: ServiceDeps, project: Project, f: ContactFilter): Promise<ExportPlan> {
  const filter = await storeFilter(deps, project, f);
  const keys = await propertyKeysOfCases(deps.db, project.id, filter);
  const contact = new Set<string>(EXPORT_CONTACT_COLUMNS);
  const extra = keys.filter((k) => !contact.has(k) && !RESERVED.has(headerKey(k)));
  const propertyColumns = [...EXPORT_CONTACT_COLUMNS, ...extra];
  const columns = [...EXPORT_FIELD_COLUMNS, ...propertyColumns];
  const row = (c: CaseRecord): string[] => [c.id, c.name, c.externalId ?? '', c.ownerId ?? '', ...propertyColumns.map((k) => c.properties[k] ?? '')];
  async function* rows(): AsyncGenerator<string[]> {
    let after: string | null = null;
    for (;;) {
      const page = await listFilteredCases(deps.db, project.id, filter, 'oldest', after === null ? null : { seq: after }, PAGE);
      for (const c of page) {
        yield row(c);
      }
      const last = page.at(-1);
      if (page.length < PAGE || !last) {
        return;
      }
      after = last.seq;
    }
  }
  return { columns, propertyColumns, rows };
}

/** The CSV as a stream (UTF-8 with a BOM so Excel reads it as such), a page of cases at a time. */
export async function exportCsv(deps: ServiceDeps, project: Project, f: ContactFilter): Promise<Readable> {
  const plan = await planExport(deps, project, f);
  async function* lines(): AsyncGenerator<string> {
    yield '\ufeff' + plan.columns.map(csvCell).join(',') + '\r\n';
    let batch: string[] = [];
    for await (const r of plan.rows()) {
      batch.push(r.map(csvCell).join(',') + '\r\n');
      if (batch.length >= 500) {
        yield batch.join('');
        batch = [];
      }
    }
    if (batch.length) {
      yield batch.join('');
    }
  }
  return Readable.from(lines());
}

/** The .xlsx (one sheet, "Contacts"); refuses more than XLSX_EXPORT_LIMIT cases. */
export async function exportXlsx(deps: ServiceDeps, project: Project, f: ContactFilter): Promise<Buffer> {
  const plan = await planExport(deps, project, f);
  const data: string[][] = [plan.columns];
  for await (const r of plan.rows()) {
    if (data.length > XLSX_EXPORT_LIMIT) {
      throw new AppError('EXPORT_TOO_MANY_ROWS');
    }
    data.push(r.map(exportCell));
  }
  const ws = XLSX.utils.aoa_to_sheet(data);
  // Every cell is text (a number such as 254712345678 must not become 2.54712E+11).
  for (const cell of Object.values(ws)) {
    if (cell && typeof cell === 'object' && 't' in cell) {
      (cell as XLSX.CellObject).t = 's';
      (cell as XLSX.CellObject).z = '@';
    }
  }
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, 'Contacts');
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer;
}

export const CSV_TYPE = 'text/csv; charset=utf-8';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The download's file name: project, case type when one, and the date. */
export function exportFileName(project: Project, f: ContactFilter, format: 'csv' | 'xlsx', now: Date): string {
  const safe = (t: string) => t.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 60);
  return `${safe(project.name)}-${f.caseType ? `${safe(f.caseType)}-` : ''}contacts-${now.toISOString().slice(0, 10)}.${format}`;
}
