/**
 * Spreadsheet fixtures made in the test (SheetJS writes .xlsx and legacy .xls, CSV is plain text)
 * and the multipart body a browser would send to upload one.
 */
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';

import * as XLSX from '@e965/xlsx';

export type Cell = string | number | boolean | null;

/** A workbook of one sheet (or several) as .xlsx or .xls (BIFF8) bytes; numbers stay numeric cells. */
export function workbook(rows: Cell[][], bookType: 'xlsx' | 'xls' = 'xlsx', more: Record<string, Cell[][]> = {}): Buffer {
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), 'Contacts');
  for (const [name, sheet] of Object.entries(more)) {
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(sheet), name);
  }
  return XLSX.write(wb, { type: 'buffer', bookType }) as Buffer;
}

export function csv(rows: Cell[][], delimiter = ',', bom = false): Buffer {
  const text = rows.map((r) => r.map((c) => (c === null ? '' : /[",;\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(delimiter)).join('\r\n');
  return Buffer.from((bom ? '\ufeff' : '') + text + '\r\n', 'utf8');
}

/** Reads an .xlsx or .csv answer back as rows of text. */
export function readSheet(bytes: Buffer): string[][] {
  const wb = XLSX.read(bytes, { type: 'buffer', raw: true });
  const ws = wb.Sheets[wb.SheetNames[0] ?? ''];
  return ws ? (XLSX.utils.sheet_to_json(ws, { header: 1, raw: false, defval: '' }) as string[][]) : [];
}

/** multipart/form-data with the file and text fields. */
export function multipart(file: { name: string; bytes: Buffer }, fields: Record<string, string> = {}): { body: Buffer; headers: Record<string, string> } {
  const boundary = `----rollcall${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
  chunks.push(file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/**
 * A zip bomb dressed as a workbook: 20 parts each inflating to 16 MiB of zeros (320 MiB in all)
 * from a file of about 330 kB.
 */
export function zipBomb(): Buffer {
  const size = 16 * 1024 * 1024;
  const deflated = zlib.deflateRawSync(Buffer.alloc(size), { level: 9 });
  return zipOf(Array.from({ length: 20 }, (_, i) => ({ name: `xl/worksheets/sheet${i + 1}.xml`, data: Buffer.alloc(0), declare: size, deflated })));
}

/** An Office file encrypted with a password is a compound file holding an "EncryptedPackage" stream. */
export function encryptedWorkbook(): Buffer {
  const cfb = XLSX.CFB.utils.cfb_new();
  XLSX.CFB.utils.cfb_add(cfb, 'EncryptionInfo', randomBytes(256));
  XLSX.CFB.utils.cfb_add(cfb, 'EncryptedPackage', randomBytes(4096));
  return Buffer.from(XLSX.CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}

/** A part of a zip: its name and its plain bytes; `declare` makes the headers lie about its size. */
export interface ZipPart {
  name: string;
  data: Buffer;
  /** The uncompressed size written in the headers (Default: the true size). */
  declare?: number;
  /** Already deflated bytes of `data` (Default: deflated here). */
  deflated?: Buffer;
}

/** The parts of a workbook (names and plain bytes), to be packed again with more parts by zipOf(). */
export function workbookParts(bytes: Buffer): ZipPart[] {
  const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  const parts: ZipPart[] = [];
  for (let n = 0; n < count; n++) {
    const nameLength = bytes.readUInt16LE(at + 28);
    const method = bytes.readUInt16LE(at + 10);
    const compressed = bytes.readUInt32LE(at + 20);
    const local = bytes.readUInt32LE(at + 42);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const raw = bytes.subarray(start, start + compressed);
    parts.push({ name: bytes.toString('latin1', at + 46, at + 46 + nameLength), data: method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw) });
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return parts;
}

/** A zip of deflated parts, with the sizes each part declares (true unless `declare` says otherwise). */
export function zipOf(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const name = Buffer.from(p.name, 'latin1');
    const data = p.deflated ?? zlib.deflateRawSync(p.data, { level: 9 });
    const declared = p.declare ?? p.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(declared, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    central.push(dir, name);
    offset += local.length + name.length + data.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

let zeros250: Buffer | null = null;

/**
 * The zip bomb of issue 23: a real one-row workbook plus a part of 250 MB of zeros, about 250 KB in
 * all, under the old 256 MiB cap. `lie`: the headers say the zeros part is 1 KiB (declared sizes
 * lie; only inflating shows the truth).
 */
export function workbookBomb(opts: { lie?: boolean } = {}): Buffer {
  const size = 250 * 1000 * 1000;
  zeros250 ??= zlib.deflateRawSync(Buffer.alloc(size), { level: 9 });
  const parts = workbookParts(workbook([['Case Name', 'contact_phone_number'], ['Zawadi', '+254712900001']]));
  // The data is never used: only its size, and the deflated bytes given.
  parts.push({ name: 'xl/media/image1.bin', data: { length: size } as Buffer, deflated: zeros250, ...(opts.lie ? { declare: 1024 } : {}) });
  return zipOf(parts);
}
