/**
 * @module cli — `rollcall serve | worker | migrate | create-admin | doctor`.
 * Commands that open the embedded database take the data-folder lock, so they refuse to run
 * while a server holds it (they would lose writes behind its back).
 */
import { Command } from 'commander';

import { loadConfig } from '../config.ts';
import { runCreateAdmin, runDoctor, runMigrate, runServe } from './commands.ts';
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

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`rollcall: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
