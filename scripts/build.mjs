#!/usr/bin/env node
// Builds what `npm start` runs: src/ and the packages it uses bundled by esbuild into dist/ (about
// 2 s), so a start neither compiles TypeScript through tsx nor resolves and loads some thousand
// files of node_modules: about 1.5 s less on each start (docs/architecture.md, "Start-up").
// PGlite stays in node_modules: it finds its wasm and data files next to its own module. Files the
// code opens next to itself (`new URL('./x', import.meta.url)`) are copied or bundled beside it:
//   dist/rollcall.mjs             the CLI (src/cli/index.ts)
//   dist/import-file.worker.mjs   the spreadsheet worker (src/services/import-file.worker.ts)
//   dist/pglite-init.mjs          the data-folder initialiser (src/store/pglite-init.mjs)
//   dist/admin.css                the admin UI's style sheet
// Usage: node scripts/build.mjs [--outdir DIR]
import fs from 'node:fs';
import path from 'node:path';

import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const outdir = path.resolve(args.includes('--outdir') ? args[args.indexOf('--outdir') + 1] : path.join(root, 'dist'));

const started = performance.now();
fs.rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { rollcall: 'src/cli/index.ts', 'import-file.worker': 'src/services/import-file.worker.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // PGlite finds its wasm and data files next to its own module; pg-native is pg's optional addon.
  external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'pg-native'],
  // Bundled CommonJS packages call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __rollcallCreateRequire } from 'node:module'; const require = __rollcallCreateRequire(import.meta.url);" },
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  jsx: 'automatic',
  jsxImportSource: '@kitajs/html',
  sourcemap: 'linked',
  logLevel: 'warning',
});
fs.copyFileSync(path.join(root, 'src/store/pglite-init.mjs'), path.join(outdir, 'pglite-init.mjs'));
fs.copyFileSync(path.join(root, 'src/http/admin/admin.css'), path.join(outdir, 'admin.css'));
process.stdout.write(`built ${path.relative(root, outdir) || outdir} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
