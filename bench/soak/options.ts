/**
 * Soak options from the command line: `--minutes N` or `--seconds N` (Default: 10 minutes),
 * `--pg URL` (else ROLLCALL_BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test),
 * `--pooler URL` (the processes connect through a pooler in transaction mode at URL, e.g. PgBouncer;
 * Default: straight to the server), `--rate N` requests per second in total (Default: 30), `--report FILE` (Default:
 * bench/soak-report.md), `--drain-seconds N` (Default: 120), `--keep-db` (leave the soak database
 * in place afterwards, to look into a failure).
 */
import path from 'node:path';

export const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/test';

export interface SoakOptions {
  durationS: number;
  pgUrl: string;
  rate: number;
  reportFile: string;
  drainS: number;
  /** Leave the soak database in place when the run ends. */
  keepDb: boolean;
  /** A transaction-mode pooler in front of the server, which the processes connect through. */
  poolerUrl: string | null;
}

export class UsageError extends Error {}

function numberAfter(args: string[], i: number, flag: string): number {
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    throw new UsageError(`${flag} needs a positive number, e.g. ${flag} 2`);
  }
  return v;
}

export function parseOptions(args: string[], env: NodeJS.ProcessEnv, root: string): SoakOptions {
  const opts: SoakOptions = {
    durationS: 600,
    pgUrl: env.ROLLCALL_BENCH_DATABASE_URL || DEFAULT_PG,
    rate: 30,
    reportFile: path.join(root, 'bench/soak-report.md'),
    drainS: 120,
    keepDb: false,
    poolerUrl: null,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--minutes') {
      opts.durationS = numberAfter(args, i++, a) * 60;
    } else if (a === '--seconds') {
      opts.durationS = numberAfter(args, i++, a);
    } else if (a === '--rate') {
      opts.rate = numberAfter(args, i++, a);
    } else if (a === '--drain-seconds') {
      opts.drainS = numberAfter(args, i++, a);
    } else if (a === '--keep-db') {
      opts.keepDb = true;
    } else if (a === '--pg') {
      opts.pgUrl = args[++i] ?? '';
    } else if (a === '--pooler') {
      opts.poolerUrl = args[++i] ?? '';
      if (!/^postgres(ql)?:\/\//.test(opts.poolerUrl)) {
        throw new UsageError(`--pooler needs the pooler's URL, e.g. --pooler postgres://postgres@127.0.0.1:6432/test; got: ${opts.poolerUrl || '(nothing)'}`);
      }
    } else if (a === '--report') {
      opts.reportFile = path.resolve(args[++i] ?? opts.reportFile);
    } else {
      throw new UsageError(`unknown option ${a}; use --minutes N | --seconds N | --pg URL | --pooler URL | --rate N | --drain-seconds N | --report FILE | --keep-db`);
    }
  }
  if (!/^postgres(ql)?:\/\//.test(opts.pgUrl)) {
    throw new UsageError(
      `the soak test needs a PostgreSQL server (--pg postgres://…): it runs two serve and two worker processes on one database, and the embedded database (PGlite) serves a single process. Got: ${opts.pgUrl || '(nothing)'}`,
    );
  }
  return opts;
}
