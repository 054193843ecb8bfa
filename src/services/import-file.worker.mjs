// Reads one uploaded spreadsheet off the main thread (services/import-file.ts), so the HTTP server
// and, on the embedded database, PGlite keep answering while SheetJS reads a large workbook. The
// rows are drafted here too when a run asks for drafts; the main thread gets the summary, then the
// items in chunks, so no single message takes long to deserialise there. Each chunk waits for the
// main thread's 'next': a port delivers every queued message in one turn of the main thread, so
// chunks sent all at once stalled it for half a second on 100,000 rows.
// Plain JavaScript: a worker does not inherit a loader registered with tsx's API, so it registers its own.
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';

import { register } from 'tsx/esm/api';

register();
const { readImportFile } = await import('./import-file.ts');
try {
  const { fileName, bytes, options, want, chunk } = workerData;
  const read = readImportFile(fileName, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), options, want);
  parentPort.postMessage({ type: 'summary', summary: read.summary });
  const items = read.items;
  read.items = [];
  for (let from = 0; from < items.length; from += chunk) {
    parentPort.postMessage({ type: 'items', items: items.slice(from, from + chunk) });
    // What was sent is not needed here any more.
    items.fill(undefined, from, from + chunk);
    await once(parentPort, 'message');
  }
  parentPort.postMessage({ type: 'end' });
} catch (err) {
  parentPort.postMessage({ type: 'error', app: err?.name === 'AppError', code: err?.code, message: String(err?.message ?? err) });
}
