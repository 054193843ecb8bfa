/**
 * `npm run bench [-- --only NAME] [-- --pg URL | --no-pg]`: runs the benchmarks one after another,
 * prints a table (figure, target, measured, pass/fail, raw limit, ratio) and, on a full run,
 * rewrites BENCHMARKS.md with the machine, the date and the command of each figure. Throughput rows
 * also carry the raw limit they stand on, measured right before them in the same database
 * (bench/support/raw-limits.ts), and measured ÷ raw as a ratio: this VM's absolute figures vary by
 * ±20–50 % between runs, the ratio much less; targets stay absolute. Benchmarks are not tests: nothing in
 * scripts/run-tests.mjs runs them.
 *
 * PostgreSQL figures run against `--pg URL`, else ROLLCALL_BENCH_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test when it answers within 2 s; `--no-pg` skips them. The
 * URL is only used to create a fresh database rollcall_bench_<pid>_<random>, dropped afterwards.
 * Exit code 0 even when a figure misses its target (the table says so); 1 if a benchmark crashed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { benchCaseCreation } from './case-creation.bench.ts';
import { benchGrowth } from './growth.bench.ts';
import { benchImportGrowth } from './import-growth.bench.ts';
import { benchImport } from './import.bench.ts';
import { benchMessaging } from './messaging.bench.ts';
import { benchPhoneNormalisation } from './phone-normalisation.bench.ts';
import { benchSlowGateway } from './slow-gateway.bench.ts';
import { benchSlowClients } from './slow-clients.bench.ts';
import { benchStartup } from './startup.bench.ts';
import { benchUploadPressure } from './upload-pressure.bench.ts';
import { option } from './support/options.ts';
import type { BenchResult } from './support/result.ts';

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/test';
const args = process.argv.slice(2);
const only = option('--only');
/** `--growth-sizes 1000,5000`: other registry sizes for a quick look (the table's figures use the default). */
const growthSizes = option('--growth-sizes')?.split(',').map(Number);

/** The PostgreSQL server to use and its version, or null. */
async function postgres(): Promise<{ url: string; version: string } | null> {
  if (args.includes('--no-pg')) {
    return null;
  }
  const explicit = option('--pg') ?? process.env.ROLLCALL_BENCH_DATABASE_URL;
  const url = explicit ?? DEFAULT_PG;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const row = await client.query<{ server_version: string }>('show server_version');
    return { url, version: row.rows[0]?.server_version ?? '?' };
  } catch (err) {
    if (explicit) {
      throw new Error(`cannot reach PostgreSQL at ${url}: ${(err as Error).message}`);
    }
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) {
    u.password = '***';
  }
  return u.toString();
}

const pgServer = await postgres();
type Suite = { name: string; run: () => Promise<BenchResult[]> | BenchResult[] };
const suites: Suite[] = [
  { name: 'phone', run: () => benchPhoneNormalisation() },
  { name: 'startup', run: () => benchStartup() },
  { name: 'slow-clients', run: () => benchSlowClients() },
  { name: 'cases-embedded', run: () => benchCaseCreation('embedded', null) },
  ...(pgServer ? [{ name: 'cases-postgres', run: () => benchCaseCreation('postgres', pgServer.url) }] : []),
  { name: 'messaging-embedded', run: () => benchMessaging('embedded', null) },
  ...(pgServer ? [{ name: 'messaging-postgres', run: () => benchMessaging('postgres', pgServer.url) }] : []),
  { name: 'slow-gateway-embedded', run: () => benchSlowGateway('embedded', null) },
  ...(pgServer ? [{ name: 'slow-gateway-postgres', run: () => benchSlowGateway('postgres', pgServer.url) }] : []),
  { name: 'import-embedded', run: () => benchImport('embedded', null) },
  ...(pgServer ? [{ name: 'import-postgres', run: () => benchImport('postgres', pgServer.url) }] : []),
  { name: 'import-growth-embedded', run: () => benchImportGrowth('embedded', null) },
  ...(pgServer ? [{ name: 'import-growth-postgres', run: () => benchImportGrowth('postgres', pgServer.url) }] : []),
  { name: 'growth-embedded', run: () => benchGrowth('embedded', null, growthSizes) },
  ...(pgServer ? [{ name: 'growth-postgres', run: () => benchGrowth('postgres', pgServer.url, growthSizes) }] : []),
  { name: 'upload-pressure', run: () => benchUploadPressure() },
];

const loadAtStart = os.loadavg()[0] ?? 0;
const rows: Array<BenchResult & { command: string }> = [];
let crashed = false;
for (const suite of suites) {
  if (only && !suite.name.startsWith(only)) {
    continue;
  }
  const command = `npm run bench -- --only ${suite.name}`;
  process.stderr.write(`running ${suite.name}…\n`);
  try {
    rows.push(...(await suite.run()).map((r) => ({ ...r, command })));
  } catch (err) {
    crashed = true;
    rows.push({ figure: suite.name, target: '—', measured: `error: ${(err as Error).message.slice(0, 300).replace(/\s+/g, ' ')}`, pass: false, command });
  }
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
/** The raw limit and ratio columns ("—" on rows without a raw limit: latencies, times, ratios of their own). */
const rawLimit = (r: BenchResult) => r.rawLimit ?? '—';
const ratio = (r: BenchResult) => (r.ratio === undefined ? '—' : `${r.ratio.toFixed(1)} %`);
const markdown =
  '| figure | target | measured | result | raw limit | ratio | command |\n|---|---|---|---|---|---|---|\n' +
  rows
    .map((r) => `| ${cell(r.figure)} | ${cell(r.target)} | ${cell(r.measured)}${r.note ? ` (${cell(r.note)})` : ''} | ${r.pass ? 'pass' : '**FAIL**'} | ${cell(rawLimit(r))} | ${ratio(r)} | \`${r.command}\` |`)
    .join('\n') +
  '\n';

// The console table: figure, target, measured, pass/fail, raw limit, ratio, in aligned columns.
const plain = [['figure', 'target', 'measured', 'result', 'raw limit', 'ratio'], ...rows.map((r) => [r.figure, r.target, r.measured, r.pass ? 'pass' : 'FAIL', rawLimit(r), ratio(r)])];
const widths = [0, 1, 2, 3, 4, 5].map((i) => Math.max(...plain.map((p) => (p[i] ?? '').length)));
process.stdout.write('\n' + plain.map((p) => p.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n') + '\n');
for (const r of rows.filter((r) => r.note)) {
  process.stdout.write(`  · ${r.figure}: ${r.note}\n`);
}

if (!only) {
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  const doc = [
    '# Benchmarks',
    '',
    'Latest full run of `npm run bench` (see `bench/run.ts`). The server is a real `rollcall serve` child process run from the build in',
    '`dist/`, as `npm start` runs it. HTTP load comes from separate processes on loopback, bounded in time and count: autocannon where a',
    'figure wants requests as fast as the clients can send them, and a steady-rate client where it names a rate (request i starts at',
    'i / rate s; `bench/support/load.ts`). Everything (server, database, load generator) shares the',
    "same cores, so the figures are lower bounds for a dedicated machine; between runs this VM varies by about ±20%",
    '(`../shared/reference/performance-limits.md`), so each throughput row also gives the raw limit it stands on, measured right before it',
    'in the same database (`bench/support/raw-limits.ts`), and the ratio measured ÷ raw: the ratio is what compares across runs; targets stay absolute.',
    '',
    `- Machine: nproc ${os.availableParallelism()} (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), memory ${gib(os.totalmem())} total, Node ${process.version}, ${os.type()} ${os.release()}`,
    `- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at the end (2 cores: above 2, other work shared the machine)`,
    `- PostgreSQL: ${pgServer ? `${pgServer.version} at ${redact(pgServer.url)} (a fresh database per benchmark, dropped afterwards)` : 'not reachable in this run (PostgreSQL figures skipped)'}`,
    '- Command: `npm run bench` (options: `--only NAME`, `--pg URL`, `--no-pg`; without `--pg` the PostgreSQL figures use ROLLCALL_BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test if it answers; one figure: the command in its row)',
    '',
    markdown,
    // Kept beside the table: the last soak run's report (`npm run soak` writes it) and the
    // hand-written analysis of gaps and experiments (bench/notes.md).
    ...['soak-report.md', 'notes.md'].flatMap((name) => {
      const file = path.resolve(import.meta.dirname, name);
      return fs.existsSync(file) ? [fs.readFileSync(file, 'utf8').trimEnd(), ''] : [];
    }),
  ].join('\n');
  fs.writeFileSync(path.resolve(import.meta.dirname, '../BENCHMARKS.md'), doc);
  process.stderr.write('wrote BENCHMARKS.md\n');
}
process.exitCode = crashed ? 1 : 0;
