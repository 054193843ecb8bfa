/**
 * @module services/sign-in-throttle — limits password guessing on sign-in and token creation.
 * Failed attempts are counted per account (email) and per client address in a fixed window; past
 * the limit, attempts are refused with RATE_LIMITED before the password is even checked, so a
 * guesser learns nothing more until the window ends. A success clears the account's count.
 *
 * Counts live in this process's memory: behind a load balancer with N server processes the limit is
 * at most N times the figure (docs/operations.md). The map is bounded, so a flood of made-up emails
 * cannot grow it without end.
 */

export interface ThrottleLimits {
  /** Failed attempts per account in one window (Default: 10). */
  perAccount: number;
  /** Failed attempts per client address in one window (Default: 50). */
  perAddress: number;
  /** Window length in ms (Default: 15 minutes). */
  windowMs: number;
  /** Most keys kept at once (Default: 100,000). */
  maxKeys: number;
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = { perAccount: 10, perAddress: 50, windowMs: 15 * 60_000, maxKeys: 100_000 };

interface Count {
  failures: number;
  resetAt: number;
}

export class SignInThrottle {
  private readonly counts = new Map<string, Count>();
  private readonly limits: ThrottleLimits;

  constructor(limits: Partial<ThrottleLimits> = {}) {
    this.limits = { ...DEFAULT_THROTTLE_LIMITS, ...limits };
  }

  private keys(email: string, address: string | null): Array<[string, number]> {
    const keys: Array<[string, number]> = [[`account:${email.trim().toLowerCase()}`, this.limits.perAccount]];
    if (address) {
      keys.push([`address:${address}`, this.limits.perAddress]);
    }
    return keys;
  }

  /** Milliseconds until an attempt is allowed again, or 0 when it is allowed now. */
  retryAfterMs(email: string, address: string | null, now: number): number {
    let wait = 0;
    for (const [key, limit] of this.keys(email, address)) {
      const c = this.counts.get(key);
      if (c && c.resetAt > now && c.failures >= limit) {
        wait = Math.max(wait, c.resetAt - now);
      }
    }
    return wait;
  }

  recordFailure(email: string, address: string | null, now: number): void {
    for (const [key] of this.keys(email, address)) {
      const c = this.counts.get(key);
      if (c && c.resetAt > now) {
        c.failures += 1;
      } else {
        this.makeRoom(now);
        this.counts.set(key, { failures: 1, resetAt: now + this.limits.windowMs });
      }
    }
  }

  recordSuccess(email: string): void {
    this.counts.delete(`account:${email.trim().toLowerCase()}`);
  }

  private makeRoom(now: number): void {
    if (this.counts.size < this.limits.maxKeys) {
      return;
    }
    for (const [key, c] of this.counts) {
      if (c.resetAt <= now) {
        this.counts.delete(key);
      }
    }
    // Still full: drop the oldest entries (Map keeps insertion order).
    for (const key of this.counts.keys()) {
      if (this.counts.size < this.limits.maxKeys) {
        break;
      }
      this.counts.delete(key);
    }
  }
}
