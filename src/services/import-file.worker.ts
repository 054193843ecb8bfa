/**
 * Reads one uploaded spreadsheet off the main thread (services/import-file.ts), so the HTTP server
 * and, on the embedded database, PGlite keep answering while SheetJS reads a large workbook. The
 * rows are drafted here too when a run asks for drafts; the main thread gets the summary, then the
 * items in chunks, so no single message takes long to deserialise there. Each chunk waits for the
 * main thread's 'next': a port delivers every queued message in one turn of the main thread, so
 * chunks sent all at once stalled it for half a second on 100,000 rows.
 *
 * Run from source, `import-file.worker.mjs` registers tsx and imports this file; the build
 * (scripts/build.mjs) bundles this file as `dist/import-file.worker.mjs`.
 */
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';

import { readImportFile } from './import-file.ts';

async function main(port: NonNullable<typeof parentPort>): Promise<void> {
  try {
    const { fileName, bytes, options, want, chunk } = workerData as {
      fileName: string;
      bytes: Uint8Array;
      options: Parameters<typeof readImportFile>[2];
      want: Parameters<typeof readImportFile>[3];
      chunk: number;
    };
    const read = readImportFile(fileName, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), options, want);
    port.postMessage({ type: 'summary', summary: read.summary });
    const items: unknown[] = read.items;
    read.items = [];
    for (let from = 0; from < items.length; from += chunk) {
      port.postMessage({ type: 'items', items: items.slice(from, from + chunk) });
      // What was sent is not needed here any more.
      items.fill(undefined, from, from + chunk);
      await once(port, 'message');
    }
    port.postMessage({ type: 'end' });
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string } | undefined;
    port.postMessage({ type: 'error', app: e?.name === 'AppError', code: e?.code, message: String(e?.message ?? err) });
  }
}

if (parentPort) {
  await main(parentPort);
}
