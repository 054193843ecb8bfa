/**
 * @module services/project-rotation — which projects a queue takes work from, in turn.
 *
 * Every queue claim (dispatch, reminder evaluation, reminder sends) names one project, so that
 * with the tables distributed by project (docs/scaling.md) each claim is a single-shard statement
 * and `FOR UPDATE SKIP LOCKED` keeps its meaning. A rotation lists the projects with work waiting
 * (one cheap statement: a skip scan of the queue's index), hands them out starting one further
 * along each round, so one project's 100,000-message broadcast cannot hold back another project's
 * single message for more than a batch, and forgets a project until the next listing once it has
 * less waiting than was asked of it.
 */

/** Projects one claim takes work from at most, each asked for an equal part of the batch. */
export const PROJECTS_PER_CLAIM = 4;

/**
 * A project of a rotation: its id, or null where a queue also holds work of no project (dispatch:
 * a reply through a global gateway to a number no project holds).
 */
export type ProjectKey = string | null;

export interface RotationOptions<X, P extends ProjectKey = string> {
  /** Lists the projects with work waiting now, each with what the claim needs to know of it, through `x` (the database, or the claim's transaction). */
  list: (x: X) => Promise<ReadonlyArray<{ projectId: P; expired?: boolean }>>;
  /** A listing is used for at most this long (ms): a project that gets work meanwhile waits at most this for its turn. */
  refreshMs: number;
  /** Monotonic milliseconds. */
  now?: () => number;
}

export interface RotationEntry<P extends ProjectKey = string> {
  projectId: P;
  /** The project has expired leases to take over (dispatch only). */
  expired: boolean;
}

export class ProjectRotation<X, P extends ProjectKey = string> {
  private entries: Array<RotationEntry<P>> = [];
  private listedAt = Number.NEGATIVE_INFINITY;
  private start = 0;
  private readonly now: () => number;

  constructor(private readonly opts: RotationOptions<X, P>) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** The projects of this round, the first one further along than last round's first. Lists again when the listing is used up or old. */
  async round(x: X): Promise<Array<RotationEntry<P>>> {
    if (this.entries.length === 0 || this.now() - this.listedAt >= this.opts.refreshMs) {
      this.entries = (await this.opts.list(x)).map((e) => ({ projectId: e.projectId, expired: e.expired ?? false }));
      this.listedAt = this.now();
    }
    const n = this.entries.length;
    if (n === 0) {
      return [];
    }
    const first = this.start % n;
    this.start = first + 1;
    return [...this.entries.slice(first), ...this.entries.slice(0, first)];
  }

  /** The project had less waiting than was asked of it (or its expired leases are taken): not again until the next listing. */
  drained(projectId: P, what: 'all' | 'expired' = 'all'): void {
    if (what === 'expired') {
      this.entries = this.entries.map((e) => (e.projectId === projectId ? { ...e, expired: false } : e));
    } else {
      this.entries = this.entries.filter((e) => e.projectId !== projectId);
    }
  }

  /** Work was queued in this process: list again at the next round. */
  invalidate(): void {
    this.listedAt = Number.NEGATIVE_INFINITY;
  }
}

/**
 * One claim of up to `limit` over a rotation's round: each of the first `maxProjects` projects is
 * asked for an equal part; one that has less waiting than asked is drained (left out until the
 * next listing) and what it left goes to the others, asked again in turn, until `limit` is taken,
 * no project is left, or `maxProjects` × 2 claims were made (a round of many nearly empty projects
 * ends short, and the next round goes on with the rest). `claim` returns how many it took;
 * it is told whether to take over expired leases first. `more`: a project of the round may still
 * have work waiting (claim again at once). `askAgain: false` asks each project once: for claims
 * made in one transaction whose rows stay as they were until it ends (SKIP LOCKED does not skip
 * rows this transaction locked itself, so a second claim would take the same rows again).
 */
export async function claimInTurn<X, P extends ProjectKey = string>(
  rotation: ProjectRotation<X, P>,
  x: X,
  limit: number,
  maxProjects: number,
  claim: (entry: RotationEntry<P>, room: number) => Promise<number>,
  opts: { askAgain?: boolean } = {},
): Promise<{ taken: number; more: boolean }> {
  const askAgain = opts.askAgain ?? true;
  let entries = await rotation.round(x);
  const share = Math.ceil(limit / Math.max(1, Math.min(entries.length, maxProjects)));
  let taken = 0;
  let at = 0;
  let more = false;
  for (let made = 0; entries.length > 0 && taken < limit && made < maxProjects * 2; made++) {
    at %= entries.length;
    const entry = entries[at] as RotationEntry<P>;
    const room = Math.min(share, limit - taken);
    const got = await claim(entry, room);
    taken += got;
    if (got < room) {
      rotation.drained(entry.projectId);
      entries = entries.filter((e) => e !== entry);
    } else if (!askAgain) {
      entries = entries.filter((e) => e !== entry);
      more = true;
    } else {
      if (entry.expired) {
        rotation.drained(entry.projectId, 'expired');
        entries[at] = { ...entry, expired: false };
      }
      at++;
    }
  }
  return { taken, more: more || entries.length > 0 };
}
