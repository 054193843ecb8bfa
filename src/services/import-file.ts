/**
 * @module services/import-file — reads an uploaded spreadsheet into rows of text cells, or refuses it
 * with a catalogue code. Excel (.xlsx, .xls) goes through SheetJS (@e965/xlsx: the npm `xlsx` 0.18.5
 * has known CVEs); CSV goes through csv-parse, because SheetJS's CSV reader turns `07946001800` into a
 * number and drops the `+` of `+447946001800` (reference/dependencies.md §8). Every cell becomes text:
 * numeric cells keep every digit (254712345678, never 2.54712345678e+11), dates become ISO dates.
 * Limits: 100,000 data rows, 300 columns, the configured byte size, 32 KiB of text in a cell; a zip
 * (xlsx) is checked from its central directory before anything is inflated and unpacked with a cap
 * (services/import-zip.ts), so a zip bomb is refused without being expanded. Every file is read in a
 * worker thread with a memory limit and a time limit (readImportFileOffThread), so no upload, however
 * it is made, stalls the server's thread or exhausts its memory (issue 23).
 */
import { Worker } from 'node:worker_threads';

import * as XLSX from '@e965/xlsx';
import { parse as parseCsv } from 'csv-parse/sync';

import { AppError, coerceError, type ErrorCode, errorCatalogue } from '../errors.ts';
import type { ImportFileType } from '../store/import.store.ts';
import { type CaseDraft, draftCaseRows, draftWorkerRows, MAX_CELL, type MatchBy, type WorkerDraft } from '../domain/import-row.ts';
import type { ProjectContactSettings } from '../domain/project.ts';
import { unpackZip, ZIP_LIMITS, type ZipLimits } from './import-zip.ts';

/** Data rows accepted in one file (CommCare's case importer has the same limit). */
export const MAX_ROWS = 100_000;
export const MAX_COLUMNS = 300;
/** Longest cell (domain/import-row.ts): a longer one is cut to it when read, and noted on its row. */
export { MAX_CELL };
/** Longest file name kept (the base name only, never a path). */
const MAX_NAME = 200;

export interface SheetRow {
  /** The spreadsheet row number (1 is the first row of the sheet, the header when there is one). */
  row: number;
  /** One text per column; '' when blank. At most MAX_CELL characters each. */
  cells: string[];
  /** Cells that held more than MAX_CELL characters (cut in `cells`): column index and full length. */
  longCells?: { column: number; length: number }[];
}

export interface ParsedFile {
  fileName: string;
  fileType: ImportFileType;
  /** The sheet read (null for CSV) and every sheet of the workbook. */
  sheet: string | null;
  sheets: string[];
  columns: string[];
  rows: SheetRow[];
}

export interface ParseOptions {
  hasHeaders: boolean;
  /** Sheet name (Default: the first sheet). */
  sheet?: string | null | undefined;
  maxBytes: number;
  /** The parser's limits (Default: PARSE_LIMITS); tests lower them. */
  limits?: Partial<ParseLimits> | undefined;
}

/** What reading one file may use. */
export interface ParseLimits extends ZipLimits {
  /** Heap of the parser's worker thread, in MB (Default: 1024; a 100,000-row, 10-column workbook needs about 250). */
  memoryMb: number;
  /** Time the worker may take to read the file and draft its rows, in ms (Default: 120000). */
  timeoutMs: number;
}

export const PARSE_LIMITS: ParseLimits = { ...ZIP_LIMITS, memoryMb: 1024, timeoutMs: 120_000 };

export function parseLimits(opts: Pick<ParseOptions, 'limits'>): ParseLimits {
  return { ...PARSE_LIMITS, ...opts.limits };
}

/** Keeps only the base name of what a browser sent ("C:\\x\\..\\a.xlsx" → "a.xlsx"), without control characters. */
export function safeFileName(raw: string): string {
  const base = raw.replace(/\\/g, '/').split('/').pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (clean === '' || clean === '.' || clean === '..' ? 'upload' : clean).slice(-MAX_NAME);
}

export function fileTypeOf(fileName: string): ImportFileType {
  const ext = /\.([A-Za-z]+)$/.exec(fileName)?.[1]?.toLowerCase();
  if (ext === 'xlsx' || ext === 'xls' || ext === 'csv') {
    return ext;
  }
  throw new AppError('IMPORT_UNSUPPORTED_TYPE', `"${fileName}" is not an .xlsx, .xls or .csv file.`);
}

const ZIP_MAGIC = '504b0304';
const CFB_MAGIC = 'd0cf11e0';

function magic(bytes: Buffer): string {
  return bytes.subarray(0, 4).toString('hex');
}

/** Whether a compound (OLE) file is an encrypted Office document (an xlsx with a password is one). */
function isEncryptedPackage(bytes: Buffer): boolean {
  return bytes.includes(Buffer.from('EncryptedPackage', 'utf16le'));
}

/** A number as the digits it holds: 254712345678, never 2.54712345678e+11. */
export function numberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) {
    return BigInt(n).toString();
  }
  return String(n);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** A date cell as an ISO date (2026-12-01), with the time when it has one (2026-12-01T09:30:00). */
function dateText(d: Date): string {
  const day = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const h = d.getUTCHours();
  const m = d.getUTCMinutes();
  const s = d.getUTCSeconds();
  return h || m || s ? `${day}T${pad(h)}:${pad(m)}:${pad(s)}` : day;
}

function cellText(cell: XLSX.CellObject | undefined): string {
  if (!cell || cell.v === undefined || cell.v === null) {
    return '';
  }
  switch (cell.t) {
    case 'n':
      return numberText(cell.v as number);
    case 'b':
      return cell.v ? 'true' : 'false';
    case 'd':
      return cell.v instanceof Date ? dateText(cell.v) : String(cell.v);
    case 'e':
      return '';
    default:
      return String(cell.v);
  }
}

// A leading apostrophe before = + - @ is how our annotated files protect such cells; read it back off.
const PROTECTED = /^'(?=[=+\-@\t\r])/;
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;

function cleanCell(text: string): string {
  return text.replace(NUL, '').replace(PROTECTED, '');
}

function readWorkbook(file: Buffer, type: ImportFileType, sheet: string | null | undefined, limits: ZipLimits): { rows: SheetRow[]; sheet: string; sheets: string[] } {
  const m = magic(file);
  if (m === CFB_MAGIC && isEncryptedPackage(file)) {
    throw new AppError('IMPORT_FILE_ENCRYPTED');
  }
  let bytes = file;
  if (m === ZIP_MAGIC) {
    // Checked, inflated with caps and handed over as stored parts: SheetJS inflates nothing.
    bytes = unpackZip(file, limits);
  } else if (!(type === 'xls' && m === CFB_MAGIC)) {
    // Anything else (random bytes, a renamed text file) would be read by SheetJS as text: refuse it.
    throw new AppError('IMPORT_FILE_UNREADABLE');
  }
  let wb: XLSX.WorkBook;
  try {
    // One pass over the file (a second, names-only pass costs as much as the inflating itself).
    // sheetRows: one row past the limit (plus the header), so "too many" is known without reading all.
    wb = XLSX.read(bytes, { type: 'buffer', dense: true, cellDates: true, cellFormula: false, cellHTML: false, cellText: false, sheetRows: MAX_ROWS + 2 });
    const names = wb.SheetNames;
    const chosen = sheet ?? names[0];
    if (chosen === undefined || !names.includes(chosen)) {
      throw new AppError('IMPORT_SHEET_NOT_FOUND', `The workbook has no sheet named "${sheet ?? ''}"; its sheets are: ${names.join(', ')}.`);
    }
    const ws = wb.Sheets[chosen];
    return { rows: ws ? denseRows(ws) : [], sheet: chosen, sheets: names };
  } catch (err) {
    if (err instanceof AppError) {
      throw err;
    }
    const text = err instanceof Error ? err.message : String(err);
    if (/password|encrypt/i.test(text)) {
      throw new AppError('IMPORT_FILE_ENCRYPTED', undefined, { cause: err });
    }
    throw new AppError('IMPORT_FILE_UNREADABLE', undefined, { cause: err });
  }
}

/** The sheet's non-blank rows with their spreadsheet numbers. */
function denseRows(ws: XLSX.WorkSheet): SheetRow[] {
  const data = (ws as { '!data'?: (XLSX.CellObject[] | undefined)[] })['!data'] ?? [];
  const out: SheetRow[] = [];
  for (let r = 0; r < data.length; r++) {
    const line = data[r];
    if (!line) {
      continue;
    }
    const cells: string[] = [];
    for (let c = 0; c < line.length; c++) {
      cells.push(cleanCell(cellText(line[c])));
    }
    out.push(capCells(r + 1, cells));
  }
  return out;
}

/** The row with every cell cut to MAX_CELL characters, noting the cells that were longer. */
function capCells(row: number, cells: string[]): SheetRow {
  let longCells: SheetRow['longCells'];
  for (let c = 0; c < cells.length; c++) {
    const text = cells[c] ?? '';
    if (text.length > MAX_CELL) {
      (longCells ??= []).push({ column: c, length: text.length });
      cells[c] = text.slice(0, MAX_CELL);
    }
  }
  return longCells ? { row, cells, longCells } : { row, cells };
}

/** Comma, semicolon or tab: whichever the first line uses most outside quotes (Default: comma). */
function detectDelimiter(text: string): string {
  const end = text.indexOf('\n');
  const line = end < 0 ? text : text.slice(0, end);
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch in counts) {
      counts[ch] = (counts[ch] ?? 0) + 1;
    }
  }
  return Object.entries(counts).reduce((best, cur) => (cur[1] > best[1] ? cur : best), [',', 0] as [string, number])[0];
}

function readCsv(bytes: Buffer): SheetRow[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new AppError('IMPORT_FILE_UNREADABLE', 'The CSV file is not UTF-8 text. In Excel, save it as "CSV UTF-8 (comma delimited)" and upload it again.', { cause: err });
  }
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
  }
  if (text.includes('\u0000')) {
    throw new AppError('IMPORT_FILE_UNREADABLE', 'The file holds binary data, not CSV text.');
  }
  let records: string[][];
  try {
    records = parseCsv(text, { delimiter: detectDelimiter(text), relax_column_count: true, relax_quotes: true, skip_empty_lines: false, to: MAX_ROWS + 2 }) as string[][];
  } catch (err) {
    throw new AppError('IMPORT_FILE_UNREADABLE', `The CSV file could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return records.map((cells, i) => capCells(i + 1, cells.map(cleanCell)));
}

function isBlank(cells: readonly string[]): boolean {
  return cells.every((c) => c.trim() === '');
}

function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(65 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** Header names (or "Column A"… without headers), the columns kept, and the data rows. */
function shape(all: SheetRow[], hasHeaders: boolean): { columns: string[]; rows: SheetRow[] } {
  const nonBlank = all.filter((r) => !isBlank(r.cells));
  const header = hasHeaders ? nonBlank[0] : undefined;
  const data = hasHeaders ? nonBlank.slice(1) : nonBlank;
  if (data.length === 0) {
    throw new AppError('IMPORT_FILE_EMPTY', hasHeaders && header ? 'The file has a header row but no rows of data under it.' : undefined);
  }
  if (data.length > MAX_ROWS) {
    throw new AppError('IMPORT_TOO_MANY_ROWS');
  }
  const used = new Array<boolean>();
  for (const r of data) {
    r.cells.forEach((c, i) => {
      if (c.trim() !== '') {
        used[i] = true;
      }
    });
  }
  const width = Math.max(used.length, header ? header.cells.findLastIndex((c) => c.trim() !== '') + 1 : 0);
  if (width > MAX_COLUMNS) {
    throw new AppError('IMPORT_TOO_MANY_COLUMNS', `The file has ${width} columns; at most ${MAX_COLUMNS} can be imported.`);
  }
  const keep: number[] = [];
  const columns: string[] = [];
  const seen = new Map<string, string>();
  for (let i = 0; i < width; i++) {
    const name = header ? (header.cells[i] ?? '').trim() : `Column ${columnLetter(i)}`;
    if (name === '') {
      if (used[i]) {
        throw new AppError('IMPORT_EMPTY_HEADER', `Column ${columnLetter(i)} has data but no name in the header row (row ${header?.row ?? 1}); give it a name.`);
      }
      continue;
    }
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      throw new AppError('IMPORT_DUPLICATE_HEADER', `Two columns are named "${first}" (the second is column ${columnLetter(i)}); rename one of them.`);
    }
    seen.set(key, name);
    keep.push(i);
    columns.push(name.slice(0, 255));
  }
  return {
    columns,
    rows: data.map((r) => {
      const cells = keep.map((i) => r.cells[i] ?? '');
      const longCells = r.longCells?.flatMap((l) => (keep.includes(l.column) ? [{ column: keep.indexOf(l.column), length: l.length }] : []));
      return longCells?.length ? { row: r.row, cells, longCells } : { row: r.row, cells };
    }),
  };
}

/** Parses an uploaded file; throws an AppError with an IMPORT_* code when it cannot be imported. */
export function parseImportFile(rawName: string, bytes: Buffer, opts: ParseOptions): ParsedFile {
  const fileName = safeFileName(rawName);
  const fileType = fileTypeOf(fileName);
  if (bytes.length > opts.maxBytes) {
    throw new AppError('IMPORT_FILE_TOO_LARGE', `The file is ${bytes.length} bytes; imports accept at most ${opts.maxBytes}.`);
  }
  if (bytes.length === 0) {
    throw new AppError('IMPORT_FILE_EMPTY', 'The file is empty (0 bytes).');
  }
  if (fileType === 'csv') {
    return { fileName, fileType, sheet: null, sheets: [], ...shape(readCsv(bytes), opts.hasHeaders) };
  }
  const book = readWorkbook(bytes, fileType, opts.sheet, parseLimits(opts));
  return { fileName, fileType, sheet: book.sheet, sheets: book.sheets, ...shape(book.rows, opts.hasHeaders) };
}

/** What the upload keeps of a parsed file: everything but the rows (Default sample: 5 rows). */
export interface FileSummary {
  fileName: string;
  fileType: ImportFileType;
  sheet: string | null;
  sheets: string[];
  columns: string[];
  rowCount: number;
  /** The first rows of data, as text. */
  sample: string[][];
}

/**
 * What a read hands back besides the summary: nothing (an upload), the rows (the annotated file),
 * or the rows already drafted for a case or mobile-worker run, so that only the drafts, never the
 * rows, cross to the main thread.
 */
export type FileWant =
  | { kind: 'summary' }
  | { kind: 'rows' }
  | { kind: 'cases'; mapping: Record<string, string>; matchColumn: string | null; matchBy: MatchBy }
  | { kind: 'workers'; mapping: Record<string, string>; project: ProjectContactSettings };

type ItemOf<W extends FileWant> = W extends { kind: 'rows' } ? SheetRow : W extends { kind: 'cases' } ? CaseDraft : W extends { kind: 'workers' } ? WorkerDraft : never;

export interface FileRead<W extends FileWant> {
  summary: FileSummary;
  items: ItemOf<W>[];
}

const SAMPLE_ROWS = 5;
/** Characters of a cell kept in the sample (Default: 100; the UI shows 60), '…' marking a cut. */
export const SAMPLE_CELL = 100;
/** Characters of the whole sample (Default: 32 KiB): rows past it are left out (the first is always kept). */
export const SAMPLE_CHARS = 32 * 1024;

/**
 * The sample kept with an import: at most SAMPLE_ROWS rows, each cell cut to SAMPLE_CELL characters,
 * at most SAMPLE_CHARS in all. Applied to what is stored and to what is shown (imports stored before
 * the cap had whole cells: four 19 MB one-cell files made the import list 80 MB, issue 23).
 */
export function capSample(rows: readonly (readonly string[])[]): string[][] {
  const out: string[][] = [];
  let chars = 0;
  for (const cells of rows.slice(0, SAMPLE_ROWS)) {
    const row = cells.slice(0, MAX_COLUMNS).map((c) => (c.length > SAMPLE_CELL ? `${c.slice(0, SAMPLE_CELL - 1)}…` : c));
    const n = row.reduce((sum, c) => sum + c.length, 0);
    if (out.length > 0 && chars + n > SAMPLE_CHARS) {
      break;
    }
    out.push(row);
    chars += n;
  }
  return out;
}

/** parseImportFile, then what `want` asks for; the rows are dropped as soon as they are drafted. */
export function readImportFile<W extends FileWant>(rawName: string, bytes: Buffer, opts: ParseOptions, want: W): FileRead<W> {
  const parsed = parseImportFile(rawName, bytes, opts);
  const { rows, ...rest } = parsed;
  const summary: FileSummary = { ...rest, rowCount: rows.length, sample: capSample(rows.slice(0, SAMPLE_ROWS).map((r) => r.cells)) };
  let items: unknown[];
  switch (want.kind) {
    case 'summary':
      items = [];
      break;
    case 'rows':
      items = rows;
      break;
    case 'cases':
      items = draftCaseRows(parsed.columns, rows, want);
      break;
    case 'workers':
      items = draftWorkerRows(parsed.columns, rows, want);
      break;
  }
  return { summary, items: items as ItemOf<W>[] };
}

/**
 * Every file is read in a worker thread, whatever its size (issue 23: a 256 KB zip bomb read on this
 * thread stopped /healthz for 5.6 s). This size (512 KiB) is only what tests call "a large file".
 */
export const WORKER_THRESHOLD = 512 * 1024;
/** Rows or drafts per message from the worker (Default: 2000): each is cloned on the main thread in a few ms. */
export const WORKER_CHUNK = 2000;
/**
 * Files read at once (Default: 2): each reader may use PARSE_LIMITS.memoryMb of heap, so a burst of
 * uploads waits here instead of starting a worker each. A refused zip bomb holds a slot for
 * milliseconds.
 */
export const PARSER_SLOTS = 2;

export type WorkerMessage =
  | { type: 'summary'; summary: FileSummary }
  | { type: 'items'; items: unknown[] }
  | { type: 'end' }
  | { type: 'error'; app: boolean; code: string; message: string };

let busySlots = 0;
const waitingForSlot: (() => void)[] = [];

async function parserSlot(): Promise<() => void> {
  if (busySlots >= PARSER_SLOTS) {
    await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  } else {
    busySlots++;
  }
  let released = false;
  return () => {
    if (released) {
      return;
    }
    released = true;
    const next = waitingForSlot.shift();
    if (next) {
      // The slot passes to the next reader as it is.
      next();
    } else {
      busySlots--;
    }
  };
}

/** Readers running and waiting (for tests and metrics). */
export function parserLoad(): { running: number; waiting: number } {
  return { running: busySlots, waiting: waitingForSlot.length };
}

/**
 * readImportFile in a worker thread: reading a 100,000-row workbook takes seconds of CPU that would
 * otherwise stop the server (and PGlite, on the same thread) from answering. The worker runs with a
 * heap limit (`resourceLimits`, PARSE_LIMITS.memoryMb) and a time limit (PARSE_LIMITS.timeoutMs, until
 * the summary arrives; then it is terminated): a file that needs more is refused with
 * IMPORT_FILE_TOO_LARGE and takes nothing else down. The worker sends the summary, then the items
 * WORKER_CHUNK at a time, each after this thread asked for it, so this thread never deserialises much
 * in one turn; `onProgress(received, total)` is called after each chunk.
 */
export async function readImportFileOffThread<W extends FileWant>(
  rawName: string,
  bytes: Buffer,
  opts: ParseOptions,
  want: W,
  onProgress?: (received: number, total: number) => void,
): Promise<FileRead<W>> {
  // What needs no reading is refused here: the name, the byte limit, an empty file.
  fileTypeOf(safeFileName(rawName));
  if (bytes.length > opts.maxBytes) {
    throw new AppError('IMPORT_FILE_TOO_LARGE', `The file is ${bytes.length} bytes; imports accept at most ${opts.maxBytes}.`);
  }
  if (bytes.length === 0) {
    throw new AppError('IMPORT_FILE_EMPTY', 'The file is empty (0 bytes).');
  }
  const limits = parseLimits(opts);
  const release = await parserSlot();
  try {
    return await readInWorker(rawName, bytes, { ...opts, limits }, limits, want, onProgress);
  } finally {
    release();
  }
}

function readInWorker<W extends FileWant>(
  rawName: string,
  bytes: Buffer,
  opts: ParseOptions,
  limits: ParseLimits,
  want: W,
  onProgress?: (received: number, total: number) => void,
): Promise<FileRead<W>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./import-file.worker.mjs', import.meta.url), {
      workerData: { fileName: rawName, bytes, options: opts, want, chunk: WORKER_CHUNK },
      // The young generation stays small: the old one holds what a read keeps.
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(limits.memoryMb / 8))), stackSizeMb: 4 },
    });
    let settled = false;
    let summary: FileSummary | null = null;
    const items: ItemOf<W>[] = [];
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        fn();
      }
    };
    const timer = setTimeout(() => {
      settle(() =>
        reject(
          new AppError(
            'IMPORT_FILE_TOO_LARGE',
            `Reading the file took longer than ${Math.round(limits.timeoutMs / 1000)} s, the most one import may take; it was stopped. Split it into smaller files.`,
          ),
        ),
      );
    }, limits.timeoutMs);
    worker.on('message', (m: WorkerMessage) => {
      if (settled) {
        return;
      }
      if (m.type === 'summary') {
        // Read and drafted: what is left is handing the items over, paced by this thread.
        clearTimeout(timer);
        summary = m.summary;
      } else if (m.type === 'items') {
        for (const item of m.items) {
          items.push(item as ItemOf<W>);
        }
        onProgress?.(items.length, want.kind === 'summary' ? 0 : (summary?.rowCount ?? items.length));
        // The next chunk after other work has had a turn (the worker waits for this).
        setImmediate(() => {
          if (!settled) {
            worker.postMessage('next');
          }
        });
      } else if (m.type === 'end') {
        const s = summary;
        settle(() => (s ? resolve({ summary: s, items }) : reject(new Error('The import parser sent no summary.'))));
      } else if (m.app && m.code in errorCatalogue) {
        settle(() => reject(new AppError(m.code as ErrorCode, m.message)));
      } else {
        // Not a refusal of the file (those are AppErrors): a fault of the reader itself.
        settle(() => reject(new Error(`The import parser failed: ${m.message}`)));
      }
    });
    worker.once('error', (err) => {
      if ((err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        settle(() =>
          reject(
            new AppError(
              'IMPORT_FILE_TOO_LARGE',
              `Reading the file needed more than ${limits.memoryMb} MB of memory, the most one import may use; it was stopped. Split it into smaller files.`,
              { cause: err },
            ),
          ),
        );
        return;
      }
      settle(() => reject(coerceError(err)));
    });
    worker.once('exit', (code) => settle(() => reject(new Error(`The import parser stopped (exit code ${code}).`))));
  });
}
