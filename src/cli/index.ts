/**
 * @module cli — `rollcall serve | worker | migrate | create-admin | doctor | import | rules export|import | backup | restore`.
 * Commands that open the embedded database take the data-folder lock, so they refuse to run
 * while a server holds it (they would lose writes behind its back).
 */
import { Command } from 'commander';

import { loadConfig } from '../config.ts';
import { runBackup, runRestore } from './backup.command.ts';
import { runCreateAdmin, runDoctor, runMigrate, runServe } from './commands.ts';
import { type ImportCommandOptions, runImportCommand } from './import.command.ts';
import { runRulesExport, runRulesImport } from './rules.command.ts';
import { runWorker } from './worker.command.ts';

const program = new Command();
program.name('rollcall').description('Rollcall: messaging contacts for health and development programs.');

program.command('serve').description('Run the HTTP server (embedded database unless DATABASE_URL is set).').action(async () => {
  await runServe(loadConfig());
});

program.command('worker').description('Send due messages and run background jobs, without HTTP (several may share one PostgreSQL).').action(async () => {
  await runWorker(loadConfig());
});

program.command('migrate').description('Apply database migrations, then exit.').action(async () => {
  process.exitCode = await runMigrate(loadConfig());
});

program
  .command('create-admin')
  .description('Create a superuser, or reset the password of an existing one.')
  .requiredOption('--email <email>', 'the superuser email')
  .option('--password <password>', 'the password (default: read from ROLLCALL_ADMIN_PASSWORD, else generated)')
  .action(async (opts: { email: string; password?: string }) => {
    process.exitCode = await runCreateAdmin(loadConfig(), opts.email, opts.password);
  });

program.command('doctor').description('Check the settings and the database, and say what is wrong.').action(async () => {
  process.exitCode = await runDoctor(loadConfig());
});

program
  .command('import')
  .description('Import cases (or mobile workers) from an .xlsx, .xls or .csv file; a progress bar goes to stderr.')
  .argument('<file>', 'the spreadsheet')
  .requiredOption('--project <name>', 'the project')
  .option('--case-type <type>', 'the case type (required for cases)')
  .option('--target <target>', 'cases or mobile-workers', 'cases')
  .option('--map <pairs>', 'column mapping over the suggested one, e.g. "Case Name=name,Phone=contact_phone_number,Notes=" (empty: ignore)')
  .option('--match-by <what>', 'case_id or external_id (default: from the headers)')
  .option('--match-column <column>', 'the column holding the case id or external id (default: from the headers)')
  .option('--no-create', 'do not create records for rows that match nothing (they are skipped)')
  .option('--no-headers', 'the first row is data, not column names')
  .option('--sheet <name>', 'the sheet to read (default: the first)')
  .option('--dry-run', 'report what would happen, write nothing', false)
  .action(async (file: string, opts: Omit<ImportCommandOptions, 'target' | 'matchBy'> & { target: string; matchBy?: string }) => {
    if (opts.target !== 'cases' && opts.target !== 'mobile-workers') {
      throw new Error('--target must be cases or mobile-workers');
    }
    if (opts.matchBy !== undefined && opts.matchBy !== 'case_id' && opts.matchBy !== 'external_id') {
      throw new Error('--match-by must be case_id or external_id');
    }
    process.exitCode = await runImportCommand(loadConfig(), file, { ...opts, target: opts.target, matchBy: opts.matchBy });
  });

const rules = program.command('rules').description('Move reminder rules between projects (or servers) as a JSON document.');

rules
  .command('export')
  .description('Write the reminder rules of a project as JSON (to stdout, or to --out).')
  .requiredOption('--project <name>', 'the project')
  .option('--out <file>', 'write the document to this file instead of stdout')
  .action(async (opts: { project: string; out?: string }) => {
    process.exitCode = await runRulesExport(loadConfig(), opts);
  });

rules
  .command('import')
  .description('Create the reminder rules of an exported JSON document in a project: all of them or none.')
  .argument('<file>', 'the document (from rollcall rules export or GET …/reminder-rules/export)')
  .requiredOption('--project <name>', 'the project')
  .option('--skip-existing', 'leave out rules whose name the project already has (default: refuse the whole import)', false)
  .action(async (file: string, opts: { project: string; skipExisting: boolean }) => {
    process.exitCode = await runRulesImport(loadConfig(), file, opts);
  });

program
  .command('backup')
  .description('Back up the embedded database to FILE (a .tar.gz), also while a server runs on it (not for DATABASE_URL: use pg_dump).')
  .argument('<file>', 'where to write the backup (written to FILE.partial, then renamed)')
  .action(async (file: string) => {
    process.exitCode = await runBackup(loadConfig(), file);
  });

program
  .command('restore')
  .description('Replace the embedded database with a backup from rollcall backup; the server must be stopped. The old data is moved aside, not deleted.')
  .argument('<file>', 'the backup (from rollcall backup)')
  .action(async (file: string) => {
    process.exitCode = await runRestore(loadConfig(), file);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`rollcall: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
