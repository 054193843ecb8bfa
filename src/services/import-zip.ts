/**
 * @module services/import-zip — the zip container of an .xlsx, checked and unpacked here, in the
 * parser's worker thread, before SheetJS sees it (issue 23). A "zip bomb" (a few hundred kilobytes
 * that expand to hundreds of megabytes) is refused from the zip's central directory, before anything
 * is inflated, when its parts declare more than the file may expand to: at most `maxRatio` times the
 * file's size (at least `minAllowanceBytes`), never more than `maxUncompressedBytes`. Declared sizes
 * can lie, so each part is then inflated with native zlib with its output capped at its declared size,
 * and a part that inflates to more is refused too. SheetJS gets the parts back as a zip of *stored*
 * (uncompressed) parts with true sizes: it inflates nothing itself (its own inflater trusts the local
 * headers, and grows without bound when they say 0).
 */
import zlib from 'node:zlib';

import { AppError } from '../errors.ts';

export interface ZipLimits {
  /** What all the parts may expand to, in bytes, whatever the file's size (Default: 256 MiB). */
  maxUncompressedBytes: number;
  /** What the parts may expand to, as a multiple of the file's size (Default: 100). */
  maxRatio: number;
  /** What a small file may always expand to, whatever the ratio (Default: 8 MiB). */
  minAllowanceBytes: number;
}

/**
 * Real workbooks expand 3 to 15 times (measured: SheetJS's own output 2.6–4×; maximum deflate on a
 * sheet of 100,000 identical rows 9–13×); the zip bombs of issue 23 expand about 1,000 times.
 */
export const ZIP_LIMITS: ZipLimits = { maxUncompressedBytes: 256 * 1024 * 1024, maxRatio: 100, minAllowanceBytes: 8 * 1024 * 1024 };

/** Parts in one workbook (a real one has tens; a hundred sheets with their parts, a few hundred). */
export const MAX_ZIP_ENTRIES = 10_000;

export interface ZipEntry {
  /** The part's name as stored (bytes, not decoded). */
  name: Buffer;
  method: number;
  flags: number;
  compressedSize: number;
  /** Declared uncompressed size (central directory). */
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const MiB = 1024 * 1024;

function unreadable(message = 'The file is not a complete Excel workbook (its zip directory is missing or damaged).'): AppError {
  return new AppError('IMPORT_FILE_UNREADABLE', message);
}

function size(bytes: number): string {
  return bytes >= MiB ? `${Math.round(bytes / MiB)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** How many bytes a zip of `fileBytes` bytes may expand to under `limits`. */
export function allowedUncompressed(fileBytes: number, limits: ZipLimits = ZIP_LIMITS): number {
  return Math.min(limits.maxUncompressedBytes, Math.max(limits.minAllowanceBytes, limits.maxRatio * fileBytes));
}

/** The central directory's entries (nothing inflated); IMPORT_FILE_UNREADABLE when it is missing or damaged. */
export function readZipDirectory(bytes: Buffer): ZipEntry[] {
  const from = Math.max(0, bytes.length - 65_557);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= from; i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw unreadable();
  }
  const count = bytes.readUInt16LE(eocd + 10);
  const dirOffset = bytes.readUInt32LE(eocd + 16);
  if (count === 0xffff || dirOffset === 0xffffffff) {
    // Zip64: an Excel file under the byte limit never needs it.
    throw unreadable();
  }
  if (count > MAX_ZIP_ENTRIES) {
    throw unreadable(`The workbook has ${count} parts, far more than a spreadsheet has; it is refused.`);
  }
  const entries: ZipEntry[] = [];
  let at = dirOffset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL) {
      throw unreadable();
    }
    const nameLength = bytes.readUInt16LE(at + 28);
    if (at + 46 + nameLength > bytes.length) {
      throw unreadable();
    }
    entries.push({
      name: bytes.subarray(at + 46, at + 46 + nameLength),
      flags: bytes.readUInt16LE(at + 8),
      method: bytes.readUInt16LE(at + 10),
      compressedSize: bytes.readUInt32LE(at + 20),
      size: bytes.readUInt32LE(at + 24),
      localOffset: bytes.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return entries;
}

function bomb(expands: string, fileBytes: number, allowed: number): AppError {
  return new AppError(
    'IMPORT_FILE_TOO_LARGE',
    `The workbook (${size(fileBytes)}) expands to ${expands} when unpacked; an import accepts at most ${size(allowed)} from a file of this size (a "zip bomb", or far more data than an import holds). It is refused.`,
  );
}

/** Refuses a zip whose parts declare more than `allowedUncompressed` in total; returns the entries. */
export function checkZipDirectory(bytes: Buffer, limits: ZipLimits = ZIP_LIMITS): ZipEntry[] {
  const entries = readZipDirectory(bytes);
  const allowed = allowedUncompressed(bytes.length, limits);
  let total = 0;
  for (const e of entries) {
    total += e.size;
  }
  if (total > allowed) {
    throw bomb(`${size(total)} (so its directory says)`, bytes.length, allowed);
  }
  return entries;
}

/** A part's compressed bytes, found through its local header. */
function partData(bytes: Buffer, e: ZipEntry): Buffer {
  const at = e.localOffset;
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== LOCAL) {
    throw unreadable();
  }
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
  if (start + e.compressedSize > bytes.length) {
    throw unreadable();
  }
  return bytes.subarray(start, start + e.compressedSize);
}

function partName(e: ZipEntry): string {
  return e.name.toString('latin1').replace(/[^\u0020-\u007e]/g, '?').slice(0, 100);
}

/**
 * Checks the directory, inflates every part (each capped at its declared size, all of them at the
 * allowance) and returns the same workbook as a zip of stored parts, for SheetJS to read without
 * inflating anything. Throws IMPORT_FILE_TOO_LARGE for a bomb, IMPORT_FILE_ENCRYPTED for an encrypted
 * zip, IMPORT_FILE_UNREADABLE for a damaged one.
 */
export function unpackZip(bytes: Buffer, limits: ZipLimits = ZIP_LIMITS): Buffer {
  const entries = checkZipDirectory(bytes, limits);
  const allowed = allowedUncompressed(bytes.length, limits);
  let outSize = 22;
  for (const e of entries) {
    if (e.flags & 0x0041) {
      throw new AppError('IMPORT_FILE_ENCRYPTED');
    }
    if (e.method !== 0 && e.method !== 8) {
      throw unreadable(`The workbook uses a zip compression method (${e.method}) that Excel does not write; save it again from Excel.`);
    }
    outSize += 30 + 46 + 2 * e.name.length + e.size;
  }
  const out = Buffer.alloc(outSize);
  const central: number[] = [];
  let offset = 0;
  let total = 0;
  for (const e of entries) {
    const data = partData(bytes, e);
    let plain: Buffer;
    if (e.method === 0) {
      plain = data;
    } else {
      try {
        // Capped at the declared size: a part that says 1 KiB and inflates to 1 GiB stops at 1 KiB + 1.
        plain = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw bomb(`more than its zip directory says (part ${partName(e)} alone exceeds the ${size(e.size)} it declares)`, bytes.length, allowed);
        }
        throw new AppError('IMPORT_FILE_UNREADABLE', 'The workbook is damaged: a part of it cannot be unpacked. Save it again from Excel and retry.', { cause: err });
      }
    }
    if (plain.length !== e.size) {
      // Fewer bytes than declared (more cannot pass the cap above): damaged, or sizes that lie.
      throw unreadable(`The workbook is damaged: part ${partName(e)} unpacks to ${plain.length} bytes, not the ${e.size} its zip directory says. Save it again from Excel and retry.`);
    }
    total += plain.length;
    if (total > allowed) {
      throw bomb(`more than ${size(allowed)}`, bytes.length, allowed);
    }
    // Local header: version 2.0, no flags, method 0 (stored), no time, CRC 0 (SheetJS does not check it).
    out.writeUInt32LE(LOCAL, offset);
    out.writeUInt16LE(20, offset + 4);
    out.writeUInt32LE(plain.length, offset + 18);
    out.writeUInt32LE(plain.length, offset + 22);
    out.writeUInt16LE(e.name.length, offset + 26);
    e.name.copy(out, offset + 30);
    plain.copy(out, offset + 30 + e.name.length);
    central.push(offset);
    offset += 30 + e.name.length + plain.length;
  }
  const dirStart = offset;
  entries.forEach((e, i) => {
    out.writeUInt32LE(CENTRAL, offset);
    out.writeUInt16LE(20, offset + 4);
    out.writeUInt16LE(20, offset + 6);
    out.writeUInt32LE(e.size, offset + 20);
    out.writeUInt32LE(e.size, offset + 24);
    out.writeUInt16LE(e.name.length, offset + 28);
    out.writeUInt32LE(central[i] ?? 0, offset + 42);
    e.name.copy(out, offset + 46);
    offset += 46 + e.name.length;
  });
  out.writeUInt32LE(EOCD, offset);
  out.writeUInt16LE(entries.length, offset + 8);
  out.writeUInt16LE(entries.length, offset + 10);
  out.writeUInt32LE(offset - dirStart, offset + 12);
  out.writeUInt32LE(dirStart, offset + 16);
  return out.subarray(0, offset + 22);
}
