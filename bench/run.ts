/**
 * `npm run bench [-- --only NAME] [-- --no-pg]`: runs the benchmarks, prints a table (figure,
 * target, measured, pass/fail) and rewrites BENCHMARKS.md. PostgreSQL figures use
 * ROLLCALL_BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test when it answers.
 * Loads come from separate processes on loopback and are bounded in time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { benchCaseCreation } from './case-creation.bench.ts';
import { benchMessaging } from './messaging.bench.ts';
import { benchPhoneNormalisation } from './phone-normalisation.bench.ts';
import { benchStartup } from './startup.bench.ts';
import type { BenchResult } from './support/result.ts';

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

async function postgresUrl(): Promise<string | null> {
  if (args.includes('--no-pg')) {
    return null;
  }
  const url = process.env.ROLLCALL_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return null;
  }
}

const pgUrl = await postgresUrl();
const suites: Array<[string, () => Promise<BenchResult[]> | BenchResult[]]> = [
  ['phone', () => benchPhoneNormalisation()],
  ['startup', () => benchStartup()],
  ['cases-embedded', () => benchCaseCreation('embedded', null)],
  ...(pgUrl ? ([['cases-postgres', () => benchCaseCreation('postgres', pgUrl)]] as Array<[string, () => Promise<BenchResult[]>]>) : []),
  ['messaging-embedded', () => benchMessaging('embedded', null)],
  ...(pgUrl ? ([['messaging-postgres', () => benchMessaging('postgres', pgUrl)]] as Array<[string, () => Promise<BenchResult[]>]>) : []),
];

const rows: BenchResult[] = [];
for (const [name, run] of suites) {
  if (only && !name.startsWith(only)) {
    continue;
  }
  process.stderr.write(`running ${name}…\n`);
  try {
    rows.push(...(await run()));
  } catch (err) {
    rows.push({ figure: name, target: '—', measured: `error: ${(err as Error).message.slice(0, 200)}`, pass: false });
  }
}

const header = '| figure | target | measured | result |\n|---|---|---|---|\n';
const table = header + rows.map((r) => `| ${r.figure} | ${r.target} | ${r.measured}${r.note ? ` (${r.note})` : ''} | ${r.pass ? 'pass' : 'FAIL'} |`).join('\n') + '\n';
process.stdout.write('\n' + table);
if (!only) {
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  const doc = `# Benchmarks\n\nLatest run of \`npm run bench\` (loads from separate processes on loopback; the server is a real \`rollcall serve\` child process).\n\n- Machine: ${machine}\n- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n- PostgreSQL: ${pgUrl ? 'local server (default config)' : 'not available in this run'}\n- Command: \`npm run bench\`\n\n${table}\nEverything (server, database, load generator) shares the same cores, so the figures are lower bounds for a dedicated machine.\n`;
  fs.writeFileSync(path.resolve(import.meta.dirname, '../BENCHMARKS.md'), doc);
}
