// Parses one uploaded spreadsheet off the main thread (services/import-file.ts), so the HTTP server
// and, on the embedded database, PGlite keep answering while SheetJS reads a large workbook.
// Plain JavaScript: a worker does not inherit a loader registered with tsx's API, so it registers its own.
import { parentPort, workerData } from 'node:worker_threads';

import { register } from 'tsx/esm/api';

register();
const { parseImportFile } = await import('./import-file.ts');
try {
  const parsed = parseImportFile(workerData.fileName, Buffer.from(workerData.bytes.buffer, workerData.bytes.byteOffset, workerData.bytes.byteLength), workerData.options);
  parentPort.postMessage({ ok: true, parsed });
} catch (err) {
  parentPort.postMessage({ ok: false, app: err?.name === 'AppError', code: err?.code, message: String(err?.message ?? err) });
}
