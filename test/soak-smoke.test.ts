/**
 * The soak harness itself (npm run soak, bench/soak.ts). On PostgreSQL (ROLLCALL_TEST_DATABASE_URL
 * set; through PgBouncer when ROLLCALL_TEST_POOLER_URL is set too) it runs a 20-second soak — two servers, two workers, every invariant checked — and expects
 * a pass. The soak cannot run on the embedded database (PGlite serves one process; the soak runs
 * four), so without PostgreSQL this file checks instead that the command refuses clearly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
const pgUrl = process.env.ROLLCALL_TEST_DATABASE_URL;

function soak(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.ROLLCALL_BENCH_DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/soak.ts', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run soak', { timeout: 90_000 }, () => {
  if (pgUrl) {
    test('a 20-second soak on PostgreSQL passes every invariant and writes its report', async () => {
      const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-soak-')), 'report.md');
      // Through the run's pooler when it has one (.ci/run: PgBouncer in transaction mode).
      const pooler = process.env.ROLLCALL_TEST_POOLER_URL ? ['--pooler', process.env.ROLLCALL_TEST_POOLER_URL] : [];
      const run = await soak(['--seconds', '20', '--drain-seconds', '20', '--rate', '20', '--pg', pgUrl, ...pooler, '--report', report], 85_000);
      assert.equal(run.code, 0, `${run.stdout.slice(0, 4000)}\n${run.stderr.slice(-2000)}`);
      const text = fs.readFileSync(report, 'utf8');
      assert.match(text, /^# Soak test — PASS/);
      for (const name of ['stored exactly once', 'Sent exactly once at the vendor', 'after its STOP', 'At most one two-way owner', 'Memory flat', 'No 5xx']) {
        assert.ok(text.includes(name), `report names "${name}"`);
      }
      fs.rmSync(path.dirname(report), { recursive: true, force: true });
    });
  } else {
    test('without PostgreSQL (this run uses the embedded database, which serves one process and the soak needs four) the soak refuses clearly', async () => {
      const unreachable = await soak(['--seconds', '5', '--pg', 'postgres://postgres@127.0.0.1:1/none'], 30_000);
      assert.equal(unreachable.code, 2, unreachable.stderr);
      assert.match(unreachable.stderr, /PostgreSQL is not reachable at .*needs a PostgreSQL server/);
      const embedded = await soak(['--seconds', '5', '--pg', './data'], 30_000);
      assert.equal(embedded.code, 2, embedded.stderr);
      assert.match(embedded.stderr, /needs a PostgreSQL server.*embedded database \(PGlite\) serves a single process/);
    });
  }
});
