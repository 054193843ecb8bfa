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
  const data = zlib.deflateRawSync(Buffer.alloc(size), { level: 9 });
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < 20; i++) {
    const name = Buffer.from(`xl/worksheets/sheet${i + 1}.xml`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    central.push(dir, name);
    offset += local.length + name.length + data.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(20, 8);
  end.writeUInt16LE(20, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

/** An Office file encrypted with a password is a compound file holding an "EncryptedPackage" stream. */
export function encryptedWorkbook(): Buffer {
  const cfb = XLSX.CFB.utils.cfb_new();
  XLSX.CFB.utils.cfb_add(cfb, 'EncryptionInfo', randomBytes(256));
  XLSX.CFB.utils.cfb_add(cfb, 'EncryptedPackage', randomBytes(4096));
  return Buffer.from(XLSX.CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}
