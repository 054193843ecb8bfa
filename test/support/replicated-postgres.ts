/**
 * A private primary and a streaming hot standby for failover tests, made with the machine's
 * PostgreSQL binaries in temporary folders owned by the `postgres` user (like private-postgres.ts):
 * the primary is initdb'd with wal_level replica, the standby copied from it with
 * `pg_basebackup -R` (which writes primary_conninfo and standby.signal). Replication is synchronous
 * (synchronous_standby_names='*', synchronous_commit=on): a commit is acknowledged once the standby
 * has flushed it. Both listen on 127.0.0.1 at free ports with trust auth; fsync is off.
 *
 * The synchronous setting is given on the primary's command line, not in postgresql.conf, so the
 * standby (whose configuration pg_basebackup copies) does not wait for a standby of its own once
 * it is promoted.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { freePort, tempDir } from './child-server.ts';
import { binDir } from './private-postgres.ts';

export interface ReplicatedPostgres {
  primaryPort: number;
  standbyPort: number;
  /** postgres://postgres@127.0.0.1:<primary>/postgres */
  primaryUrl: string;
  /** postgres://postgres@127.0.0.1:<standby>/postgres */
  standbyUrl: string;
  /** Both hosts, primary first, libpq style, with target_session_attrs=read-write. */
  multiHostUrl: string;
  /** The standby's server log so far (for failure messages). */
  standbyLog(): string;
  /** SIGKILLs the primary's postmaster (pid from postmaster.pid); returns the pid. */
  killPrimary(): number;
  /** `pg_ctl promote -w` on the standby (without blocking this process): resolves once it accepts writes. */
  promoteStandby(): Promise<void>;
  destroy(): void;
}

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const bin = binDir();
  const dir = tempDir('rollcall-pgrepl-');
  fs.chmodSync(dir, 0o777);
  const primaryData = path.join(dir, 'primary');
  const standbyData = path.join(dir, 'standby');
  const primaryPort = await freePort();
  let standbyPort = await freePort();
  while (standbyPort === primaryPort) {
    standbyPort = await freePort();
  }
  const asPostgres = (cmd: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  const common = `-k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c hot_standby=on -c max_wal_senders=5 -c wal_sender_timeout=5s -c wal_receiver_status_interval=1s -c wal_retrieve_retry_interval=100ms`;
  const primaryOpts = `-p ${primaryPort} ${common} -c synchronous_standby_names=* -c synchronous_commit=on`;
  const standbyOpts = `-p ${standbyPort} ${common}`;
  const pgCtl = (data: string, log: string, ...args: string[]) => asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, log), '-w', '-t', '60', ...args]);
  const stopQuietly = (data: string, log: string) => {
    try {
      pgCtl(data, log, '-m', 'immediate', 'stop');
    } catch {
      // not running
    }
  };

  try {
    asPostgres('initdb', ['-D', primaryData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    pgCtl(primaryData, 'primary.log', '-o', primaryOpts, 'start');
    asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyData, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    pgCtl(standbyData, 'standby.log', '-o', standbyOpts, 'start');
  } catch (err) {
    stopQuietly(standbyData, 'standby.log');
    stopQuietly(primaryData, 'primary.log');
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    primaryPort,
    standbyPort,
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
    standbyUrl: `postgres://postgres@127.0.0.1:${standbyPort}/postgres`,
    multiHostUrl: `postgres://postgres@127.0.0.1:${primaryPort},127.0.0.1:${standbyPort}/postgres?target_session_attrs=read-write`,
    standbyLog: () => {
      try {
        return fs.readFileSync(path.join(dir, 'standby.log'), 'utf8');
      } catch {
        return '';
      }
    },
    killPrimary() {
      const pid = Number(fs.readFileSync(path.join(primaryData, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      return pid;
    },
    async promoteStandby() {
      await promisify(execFile)('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), '-D', standbyData, '-w', '-t', '60', 'promote'], { timeout: 120_000 });
    },
    destroy() {
      stopQuietly(standbyData, 'standby.log');
      stopQuietly(primaryData, 'primary.log');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
