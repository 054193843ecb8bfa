/**
 * Asks /healthz every 100 ms from a separate process (health-watch.mjs), so a busy server's event
 * loop shows as slow answers rather than as a slow watcher. Instants are this process's
 * performance.now().
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface HealthSample {
  /** performance.now() of this process when the answer came. */
  at: number;
  ms: number;
}

export function watchHealth(base: string): { stop(): Promise<{ samples: HealthSample[]; failures: number }> } {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'health-watch.mjs'), base], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    async stop() {
      child.stdin.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      const parsed = JSON.parse(out) as { samples: HealthSample[]; failures: number };
      return { samples: parsed.samples.map((x) => ({ at: x.at - performance.timeOrigin, ms: x.ms })), failures: parsed.failures };
    },
  };
}
