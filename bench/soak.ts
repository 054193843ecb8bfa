/**
 * `npm run soak [-- --minutes N | --seconds N] [--pg URL] [--rate N]`: steady mixed traffic
 * against two `rollcall serve` and two `rollcall worker` processes on one PostgreSQL database,
 * then invariant checks (see bench/soak/*.ts and docs/operations.md "Soak test"). Prints the report
 * and writes it to bench/soak-report.md. Exit 0: every invariant held; 1: one failed; 2: it could
 * not run (bad options, no PostgreSQL).
 */
import fs from 'node:fs';
import path from 'node:path';

import { parseOptions, UsageError } from './soak/options.ts';
import { runSoak } from './soak/run.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);

try {
  const opts = parseOptions(args, process.env, root);
  const { report, pass } = await runSoak(opts, ['npm run soak', ...(args.length ? ['--', ...args] : [])].join(' '), log);
  process.stdout.write(report + '\n');
  fs.writeFileSync(opts.reportFile, report + '\n');
  log(`report written to ${path.relative(process.cwd(), opts.reportFile)}; ${pass ? 'every invariant held' : 'INVARIANTS FAILED'}`);
  process.exitCode = pass ? 0 : 1;
} catch (err) {
  const message = err instanceof UsageError || /not reachable/.test(String((err as Error).message)) ? (err as Error).message : String((err as Error).stack ?? err);
  log(`cannot run: ${message}`);
  process.exitCode = 2;
}
