// The spreadsheet worker's entry when Rollcall runs from source: a worker does not inherit a
// loader registered with tsx's API, so it registers its own, then runs import-file.worker.ts.
// The build (scripts/build.mjs) replaces this file with a bundle of import-file.worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./import-file.worker.ts');
