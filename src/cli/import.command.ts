/**
 * @module cli/import.command — `rollcall import FILE --project P --case-type T [--map …] [--dry-run]`.
 * The CLI works on the database directly, like `migrate`: with the embedded database it takes the
 * data-folder lock, so it refuses while a server runs there (upload through the server's API or UI
 * instead); with PostgreSQL it can run beside servers (ownership changes take the same locks).
 * A progress bar goes to stderr; the result and every problem (by row and column) to stdout.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Config } from '../config.ts';
import type { ImportTarget, MatchBy } from '../domain/import-row.ts';
import { AppError } from '../errors.ts';
import { openConfiguredDatabase, serviceDeps } from '../main.ts';
import { dryRunImport, type ImportView, runImportNow, uploadImport } from '../services/imports.service.ts';
import { findProjectByName } from '../store/project.store.ts';
import { migrateToLatest } from '../store/migrate.ts';

export interface ImportCommandOptions {
  project: string;
  caseType?: string | undefined;
  target: ImportTarget;
  /** "Column=property,Other=" (an empty property ignores the column); applied over the suggestions. */
  map?: string | undefined;
  matchBy?: MatchBy | undefined;
  matchColumn?: string | undefined;
  create: boolean;
  headers: boolean;
  sheet?: string | undefined;
  dryRun: boolean;
}

/** Parses --map: pairs separated by commas, each COLUMN=TARGET. */
export function parseMapOption(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    if (pair.trim() === '') {
      continue;
    }
    const at = pair.lastIndexOf('=');
    if (at < 1) {
      throw new AppError('VALIDATION_ERROR', `--map: "${pair}" is not COLUMN=PROPERTY.`);
    }
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  const pct = total ? Math.floor((done * 100) / total) : 100;
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total} rows`;
}

function printProblems(errors: ImportView['result']['errors'], total: number): void {
  for (const e of errors) {
    process.stdout.write(`  row ${e.row}${e.column ? `, ${e.column}` : ''}: ${e.code} ${e.message}\n`);
  }
  if (total > errors.length) {
    process.stdout.write(`  … ${total - errors.length} more (download the annotated file from the server for all of them)\n`);
  }
}

export async function runImportCommand(config: Config, file: string, opts: ImportCommandOptions): Promise<number> {
  try {
    const bytes = fs.readFileSync(file);
    const handle = await openConfiguredDatabase(config);
    try {
      await migrateToLatest(handle.db);
      const deps = serviceDeps(config, handle);
      const project = await findProjectByName(deps.db, opts.project);
      if (!project) {
        throw new AppError('NOT_FOUND', `No project named "${opts.project}".`);
      }
      const up = await uploadImport(deps, project, null, { fileName: path.basename(file), bytes, hasHeaders: opts.headers, sheet: opts.sheet });
      const suggested = opts.target === 'mobile-workers' ? up.suggestedWorkerMapping : up.suggestedMapping;
      const input = {
        target: opts.target,
        caseType: opts.caseType,
        matchBy: opts.matchBy ?? up.suggestedMatchBy,
        matchColumn: opts.matchColumn ?? (opts.target === 'cases' ? up.suggestedMatchColumn : null),
        createNew: opts.create,
        mapping: { ...suggested, ...parseMapOption(opts.map) },
      };
      process.stdout.write(`${up.fileName}: ${up.rowCount} rows; columns: ${up.columns.map((c) => `${c} → ${input.mapping[c] || '(ignored)'}`).join(', ')}\n`);
      if (opts.dryRun) {
        const dry = await dryRunImport(deps, project, up.id, input);
        const r = dry.result;
        process.stdout.write(`Dry run (nothing written): ${r.created} to create, ${r.updated} to update, ${r.skipped} to skip, ${r.failed} to fail; ${dry.normalisationCount} numbers rewritten, ${dry.duplicates.length} numbers on several rows\n`);
        for (const n of dry.normalisations.slice(0, 20)) {
          process.stdout.write(`  row ${n.row}: ${n.from} → ${n.to}\n`);
        }
        printProblems(r.errors, r.errorCount);
        return 0;
      }
      const done = await runImportNow(deps, project, up.id, input, (d, total) => process.stderr.write(bar(d, total)));
      process.stderr.write('\n');
      const r = done.result;
      process.stdout.write(`Import ${done.id} ${done.status}: ${r.created} created, ${r.updated} updated, ${r.skipped} skipped, ${r.failed} failed\n`);
      printProblems(r.errors, r.errorCount);
      return done.status === 'done' ? 0 : 1;
    } finally {
      await handle.close();
    }
  } catch (err) {
    const message = err instanceof AppError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`rollcall import: ${message}\n`);
    return 1;
  }
}
