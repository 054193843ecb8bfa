#!/usr/bin/env node
// Runs test suites with node:test: `unit` (src/**/*.test.ts), `integration` (test/**/*.test.ts
// outside test/browser and test/faults), `browser` (test/browser/*.test.ts) and `faults`
// (test/faults/*.test.ts: fault injection that needs root and PostgreSQL's binaries, run by .ci/run). For the embedded database it first
// makes one migrated PGlite template that every test file loads. Set ROLLCALL_TEST_DATABASE_URL to
// run the same suites against a PostgreSQL server (each file gets its own fresh database).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const suites = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const only = process.argv.slice(2).filter((a) => a.startsWith('--only=')).map((a) => a.slice(7));

function walk(dir) {
  if (!fs.existsSync(dir)) {return [];}
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {return e.name === 'node_modules' ? [] : walk(p);}
    return /\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

const files = [];
if (suites.includes('unit')) {files.push(...walk(path.join(root, 'src')));}
const inFolder = (f, name) => f.includes(`${path.sep}test${path.sep}${name}${path.sep}`);
if (suites.includes('integration')) {files.push(...walk(path.join(root, 'test')).filter((f) => !inFolder(f, 'browser') && !inFolder(f, 'faults')));}
if (suites.includes('browser')) {files.push(...walk(path.join(root, 'test', 'browser')));}
if (suites.includes('faults')) {files.push(...walk(path.join(root, 'test', 'faults')));}
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0) {
  console.error(`no test files for: ${suites.join(' ')}`);
  process.exit(1);
}

const env = { ...process.env };
if (!env.ROLLCALL_TEST_DATABASE_URL) {
  const tmp = path.join(root, '.tmp');
  fs.mkdirSync(tmp, { recursive: true });
  const template = path.join(tmp, `pglite-template-${process.pid}.tar.gz`);
  const made = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/make-template.ts'), template], { stdio: 'inherit', cwd: root });
  if (made.status !== 0) {process.exit(made.status ?? 1);}
  env.ROLLCALL_TEST_PGLITE_TEMPLATE = template;
  process.on('exit', () => fs.rmSync(template, { force: true }));
}

const concurrency = Number(env.ROLLCALL_TEST_CONCURRENCY ?? Math.max(2, os.availableParallelism()));
const args = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...selected.sort()];
const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env });
process.exitCode = run.status ?? 1;
