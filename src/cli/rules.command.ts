/**
 * @module cli/rules.command — `rollcall rules export --project P [--out FILE]` and `rollcall rules
 * import --project P FILE [--skip-existing]`: reminder rules moved between projects (or servers) as
 * the JSON document of services/reminder-rules-transfer.service.ts, the same one the API's
 * `GET …/reminder-rules/export` gives and `POST …/reminder-rules/import` takes.
 *
 * Like `rollcall import`, these open the database themselves: with the embedded database they take
 * the data-folder lock, so they refuse while a server runs there (use the API instead).
 * An import creates every rule or none; a problem is printed with the field it is in
 * (`rules[2].schedule.offsets[0].time`) and the exit code is 1.
 */
import fs from 'node:fs';

import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { openConfiguredDatabase, serviceDeps } from '../main.ts';
import type { ServiceDeps } from '../services/deps.ts';
import { exportReminderRules, importReminderRules } from '../services/reminder-rules-transfer.service.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { findProjectByName } from '../store/project.store.ts';
import type { Project } from '../domain/project.ts';
import { type CommandOutput, processOutput } from './command-output.ts';

export interface RulesExportOptions {
  project: string;
  /** Write the document here instead of to stdout. */
  out?: string | undefined;
}

export interface RulesImportOptions {
  project: string;
  /** Leave out rules whose name the project already has (default: refuse the whole import). */
  skipExisting?: boolean | undefined;
}


const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
const rulesWord = (n: number) => `${n} rule${n === 1 ? '' : 's'}`;

/** Opens the configured database, brings it up to date and runs `work` on the named project. */
async function withProject<T>(config: Config, name: string, work: (deps: ServiceDeps, project: Project) => Promise<T>): Promise<T> {
  const handle = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(handle.db);
    const deps = serviceDeps(config, handle);
    const project = await findProjectByName(deps.db, name);
    if (!project) {
      throw new AppError('NOT_FOUND', `No project named "${name}".`);
    }
    return await work(deps, project);
  } finally {
    await handle.close();
  }
}

/** The error in words: the message (which names the field) with its code, then every further problem. */
function failure(command: string, err: unknown, io: CommandOutput): number {
  if (err instanceof AppError) {
    io.err(`rollcall rules ${command}: ${err.message} (${err.code})\n`);
    const issues = (err.details as { issues?: Array<{ field: string; message: string }> } | undefined)?.issues ?? [];
    for (const issue of issues.slice(1, 50)) {
      io.err(`  ${issue.field}: ${issue.message}\n`);
    }
    if (issues.length > 50) {
      io.err(`  … ${issues.length - 50} more\n`);
    }
  } else {
    io.err(`rollcall rules ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  return 1;
}

export async function runRulesExport(config: Config, opts: RulesExportOptions, io: CommandOutput = processOutput): Promise<number> {
  try {
    const doc = await withProject(config, opts.project, (deps, project) => exportReminderRules(deps, project));
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (opts.out === undefined) {
      io.out(text);
    } else {
      fs.writeFileSync(opts.out, text);
      const surveys = Object.values(doc.surveys);
      io.out(`Exported ${rulesWord(doc.rules.length)} of ${opts.project} to ${opts.out}${surveys.length ? ` (surveys they send, matched by name on import: ${quoted(surveys)})` : ''}.\n`);
    }
    return 0;
  } catch (err) {
    return failure('export', err, io);
  }
}

export async function runRulesImport(config: Config, file: string, opts: RulesImportOptions, io: CommandOutput = processOutput): Promise<number> {
  try {
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: ${err instanceof SyntaxError ? `not JSON (${err.message})` : (err as Error).message}`);
    }
    const result = await withProject(config, opts.project, (deps, project) => importReminderRules(deps, project, doc, { skipExisting: opts.skipExisting === true, createdBy: null }));
    const names = result.created.map((c) => c.name);
    let line = `Imported ${rulesWord(names.length)} into ${opts.project}${names.length ? `: ${quoted(names)}` : ''}`;
    if (result.skipped.length) {
      line += `; skipped ${result.skipped.length} (already there): ${quoted(result.skipped)}`;
    }
    io.out(`${line}.\n`);
    return 0;
  } catch (err) {
    return failure('import', err, io);
  }
}
