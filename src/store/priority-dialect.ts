/**
 * @module store/priority-dialect — the embedded database has one connection, and pg.Pool hands it
 * out first come, first served: a GET that needs one statement waits behind every write
 * transaction queued before it, and HTTP waits behind the dispatch and inbound workers.
 *
 * This dialect serves the waiter with the earliest deadline instead: its arrival time plus a grace
 * of 0 ms for a single statement, TRANSACTION_GRACE_MS for a transaction and BACKGROUND_GRACE_MS
 * for background work (code run through `runInBackground`: the workers and jobs). A read overtakes
 * queued transactions and requests overtake queued background work, yet nothing waits longer than
 * its grace beyond where first come, first served would have put it, so nothing starves.
 *
 * Background statements also wait for a turn of the event loop before they run: PGlite answers a
 * statement within the same turn, so a job's transaction would otherwise run as one long task
 * during which no request is even read.
 *
 * Used on PGlite only: a PostgreSQL server has a pool of real connections.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  PostgresDialect,
  type PostgresDialectConfig,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/** Extra wait a transaction accepts so that single statements can go first (Default: 10 ms). */
export const TRANSACTION_GRACE_MS = 10;
/** Extra wait background work accepts so that requests can go first (Default: 30 ms). */
export const BACKGROUND_GRACE_MS = 30;
/** A wait longer than this is a bug (a nested connection request); it fails instead of hanging. */
const ACQUIRE_TIMEOUT_MS = 30_000;

const background = new AsyncLocalStorage<boolean>();

/** Runs `fn` as background work: on the embedded database its queries yield to requests. */
export function runInBackground<T>(fn: () => Promise<T>): Promise<T> {
  return background.run(true, fn);
}

interface Waiter {
  deadline: number;
  seq: number;
  grant: () => void;
  fail: (err: Error) => void;
}

/** One slot handed to the waiter with the earliest deadline (ties: arrival order). */
class DeadlineSlot {
  private busy = false;
  private seq = 0;
  private readonly waiters: Waiter[] = [];

  take(graceMs: number): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        deadline: performance.now() + graceMs,
        seq: this.seq++,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: reject,
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(new Error(`timed out after ${ACQUIRE_TIMEOUT_MS} ms waiting for the embedded database connection`));
        }
      }, ACQUIRE_TIMEOUT_MS);
      timer.unref();
      this.waiters.push(waiter);
    });
  }

  release(): void {
    if (this.waiters.length === 0) {
      this.busy = false;
      return;
    }
    // Handed over on the next turn of the event loop, not at once: PGlite answers within the same
    // turn, so queued transactions would otherwise run one after another as one long task, and a
    // request arriving meanwhile would not even be read (let alone queued) until all were done.
    setImmediate(() => this.grantNext());
  }

  private grantNext(): void {
    if (this.waiters.length === 0) {
      this.busy = false;
      return;
    }
    let best = 0;
    for (let i = 1; i < this.waiters.length; i++) {
      const w = this.waiters[i] as Waiter;
      const b = this.waiters[best] as Waiter;
      if (w.deadline < b.deadline || (w.deadline === b.deadline && w.seq < b.seq)) {
        best = i;
      }
    }
    const [next] = this.waiters.splice(best, 1);
    (next as Waiter).grant();
  }
}

/**
 * What Kysely holds between acquire and release. The real connection is taken on first use, when
 * it is known whether this is a single statement or a transaction.
 */
class LazyConnection implements DatabaseConnection {
  real: DatabaseConnection | null = null;

  constructor(
    private readonly driver: PriorityDriver,
    readonly isBackground: boolean,
  ) {}

  async use(kind: 'statement' | 'transaction'): Promise<DatabaseConnection> {
    this.real ??= await this.driver.take(this, kind);
    return this.real;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.isBackground) {
      // PGlite answers within the same turn of the event loop, so a background transaction's
      // statements would otherwise run back to back with no request served in between.
      await nextTurn();
    }
    return (await this.use('statement')).executeQuery<R>(query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    yield* (await this.use('statement')).streamQuery<R>(query, chunkSize);
  }
}

class PriorityDriver implements Driver {
  private readonly slot = new DeadlineSlot();
  /** Time (ms) requests' statements and background work held the connection, up to the last release. */
  readonly heldMs = { foreground: 0, background: 0 };
  /** Who holds it now and since when (null: nobody). */
  holder: { background: boolean; since: number } | null = null;

  constructor(
    private readonly inner: Driver,
    private readonly transactionGraceMs: number,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(new LazyConnection(this, background.getStore() === true));
  }

  async take(conn: LazyConnection, kind: 'statement' | 'transaction'): Promise<DatabaseConnection> {
    await this.slot.take(conn.isBackground ? BACKGROUND_GRACE_MS : kind === 'transaction' ? this.transactionGraceMs : 0);
    this.holder = { background: conn.isBackground, since: performance.now() };
    try {
      return await this.inner.acquireConnection();
    } catch (err) {
      this.holder = null;
      this.slot.release();
      throw err;
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.inner.beginTransaction(await (connection as LazyConnection).use('transaction'), settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(realOf(connection));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(realOf(connection));
  }

  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return required(this.inner.savepoint).call(this.inner, realOf(connection), name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return required(this.inner.rollbackToSavepoint).call(this.inner, realOf(connection), name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return required(this.inner.releaseSavepoint).call(this.inner, realOf(connection), name, compile);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const lazy = connection as LazyConnection;
    if (!lazy.real) {
      return;
    }
    const real = lazy.real;
    lazy.real = null;
    if (this.holder !== null) {
      this.heldMs[this.holder.background ? 'background' : 'foreground'] += performance.now() - this.holder.since;
      this.holder = null;
    }
    try {
      await this.inner.releaseConnection(real);
    } finally {
      this.slot.release();
    }
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

function required<F>(method: F | undefined): F {
  if (!method) {
    throw new Error('the PostgreSQL driver has no savepoints');
  }
  return method;
}

function realOf(connection: DatabaseConnection): DatabaseConnection {
  const real = (connection as LazyConnection).real;
  if (!real) {
    throw new Error('transaction statement on a connection that holds no transaction');
  }
  return real;
}

/** The PostgreSQL dialect over a one-connection pool, serving waiters by deadline. */
export class PriorityPostgresDialect extends PostgresDialect {
  /** `transactionGraceMs`: see TRANSACTION_GRACE_MS (its default). */
  constructor(
    config: PostgresDialectConfig,
    private readonly transactionGraceMs = TRANSACTION_GRACE_MS,
  ) {
    super(config);
  }

  private driver: PriorityDriver | null = null;

  override createDriver(): Driver {
    this.driver = new PriorityDriver(super.createDriver(), this.transactionGraceMs);
    return this.driver;
  }

  /** Milliseconds requests' statements and background work have held the connection so far. */
  heldMs(): { foreground: number; background: number } {
    const d = this.driver;
    if (d === null) {
      return { foreground: 0, background: 0 };
    }
    const held = { ...d.heldMs };
    if (d.holder !== null) {
      held[d.holder.background ? 'background' : 'foreground'] += performance.now() - d.holder.since;
    }
    return held;
  }
}
