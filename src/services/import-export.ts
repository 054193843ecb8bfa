/**
 * @module services/import-export — files given back to people: the annotated copy of an import
 * (every row with an extra "errors" column, to fix and upload again) and the sample template.
 * Cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) are prefixed
 * with an apostrophe; our own reader takes that apostrophe off again on upload.
 */
import * as XLSX from '@e965/xlsx';

import type { RowProblem } from '../domain/import-row.ts';
import type { ParsedFile } from './import-file.ts';

export interface ExportFile {
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const CSV_TYPE = 'text/csv; charset=utf-8';

/** Protects a cell against formula injection (OWASP "CSV injection"). */
export function protectCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvCell(text: string): string {
  return /[",\r\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toCsv(rows: readonly (readonly string[])[]): Buffer {
  // The BOM makes Excel read the file as UTF-8.
  return Buffer.from('\ufeff' + rows.map((r) => r.map((c) => csvCell(protectCell(c))).join(',')).join('\r\n') + '\r\n', 'utf8');
}

function toXlsx(rows: readonly (readonly string[])[], sheetName: string): Buffer {
  const ws = XLSX.utils.aoa_to_sheet(rows.map((r) => r.map(protectCell)));
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, sheetName.slice(0, 31) || 'Sheet1');
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer;
}

function describe(p: RowProblem): string {
  return `${p.column ? `${p.column}: ` : ''}${p.code} ${p.message}`;
}

/**
 * The kept file's rows with an "errors" column (problems of the row, one per line). With
 * `onlyProblems`, only the rows that have one, ready to be fixed and imported again.
 */
export function annotatedFile(parsed: ParsedFile, problems: readonly RowProblem[], onlyProblems: boolean): ExportFile {
  const byRow = new Map<number, string[]>();
  for (const p of problems) {
    const list = byRow.get(p.row) ?? [];
    list.push(describe(p));
    byRow.set(p.row, list);
  }
  const header = [...parsed.columns, 'errors'];
  const body = parsed.rows.filter((r) => !onlyProblems || byRow.has(r.row)).map((r) => [...r.cells, (byRow.get(r.row) ?? []).join('\n')]);
  const rows = parsed.columns.length && parsed.rows.length ? [header, ...body] : [header];
  const base = parsed.fileName.replace(/\.[A-Za-z]+$/, '');
  if (parsed.fileType === 'csv') {
    return { fileName: `${base}-annotated.csv`, contentType: CSV_TYPE, bytes: toCsv(rows) };
  }
  return { fileName: `${base}-annotated.xlsx`, contentType: XLSX_TYPE, bytes: toXlsx(rows, parsed.sheet ?? 'Sheet1') };
}

/** The seeds' layout ("Bulk Registration of Contacts") with two example rows. */
export const TEMPLATE_ROWS: readonly (readonly string[])[] = [
  ['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'commcare_email_address', 'case id', 'gender', 'age'],
  ['Amina Otieno', '254712345678', '1', 'amina@example.org', '', 'female', '31'],
  ['John Smith', '12065551234', '0', '', '', 'male', '45'],
];

export function templateFile(format: 'xlsx' | 'csv'): ExportFile {
  return format === 'csv'
    ? { fileName: 'rollcall-import-template.csv', contentType: CSV_TYPE, bytes: toCsv(TEMPLATE_ROWS) }
    : { fileName: 'rollcall-import-template.xlsx', contentType: XLSX_TYPE, bytes: toXlsx(TEMPLATE_ROWS, 'Contacts') };
}
