/**
 * @module lib/sign-in-throttle — slows password guessing on sign-in and token creation without
 * letting a guesser lock the real user out.
 *
 * Failed attempts are counted under three keys: the account from this client address (low limit),
 * the address over all accounts (moderate limit) and the account from all addresses (a much higher
 * ceiling, against guessing spread over many addresses). Under its limit a key does not slow anyone;
 * past it, each further failure doubles the wait before the next attempt under that key (1 s, 2 s,
 * 4 s … up to 15 minutes), so there is no long hard lockout and nothing to solve. A refused attempt
 * (RATE_LIMITED, before the password is even checked) is not a failure and does not lengthen the
 * wait. An attacker failing against the superuser from one address therefore slows only attempts
 * from that address (and, past the account ceiling, everyone's); the superuser signing in from
 * another address is not slowed. A count is forgotten after an hour without failures; a success
 * clears the account-from-this-address count (not the address's nor the account's: signing in to
 * one's own account must not reset a guesser's budget).
 *
 * The address is the request's client address: the socket's, or the one X-Forwarded-For names when
 * ROLLCALL_TRUST_PROXY trusts the proxy (docs/operations.md). Counts live in this process's memory:
 * behind a load balancer with N server processes the limits are at most N times the figures. The map
 * is bounded, so a flood of made-up emails cannot grow it without end.
 */

export interface ThrottleLimits {
  /** Failures against one account from one address before attempts must wait (Default: 5). */
  perAccountAddress: number;
  /** Failures from one address over all accounts before attempts from it must wait (Default: 50). */
  perAddress: number;
  /** Failures against one account from all addresses before attempts on it must wait (Default: 500). */
  perAccount: number;
  /** The first wait past a limit, doubled by each further failure, in ms (Default: 1 s). */
  baseDelayMs: number;
  /** The longest wait, in ms (Default: 15 minutes). */
  maxDelayMs: number;
  /** A count is forgotten after this long without a failure, in ms (Default: 1 hour). */
  forgetMs: number;
  /** Most keys kept at once (Default: 100,000). */
  maxKeys: number;
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = {
  perAccountAddress: 5,
  perAddress: 50,
  perAccount: 500,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetMs: 60 * 60_000,
  maxKeys: 100_000,
};

interface Count {
  failures: number;
  /** When the last failure was recorded. */
  lastAt: number;
}

export class SignInThrottle {
  private readonly counts = new Map<string, Count>();
  readonly limits: ThrottleLimits;

  constructor(limits: Partial<ThrottleLimits> = {}) {
    this.limits = { ...DEFAULT_THROTTLE_LIMITS, ...limits };
  }

  private keys(email: string, address: string | null): Array<[string, number]> {
    const account = email.trim().toLowerCase();
    const keys: Array<[string, number]> = [[`account:${account}`, this.limits.perAccount]];
    if (address) {
      keys.push([`pair:${account}\n${address}`, this.limits.perAccountAddress], [`address:${address}`, this.limits.perAddress]);
    }
    return keys;
  }

  /** The wait after `failures` failures under a key whose limit is `limit`. */
  private delayMs(failures: number, limit: number): number {
    if (failures < limit) {
      return 0;
    }
    const doublings = Math.min(failures - limit, 40);
    return Math.min(this.limits.maxDelayMs, this.limits.baseDelayMs * 2 ** doublings);
  }

  private live(key: string, now: number): Count | undefined {
    const c = this.counts.get(key);
    return c && now - c.lastAt < this.limits.forgetMs ? c : undefined;
  }

  /** Milliseconds until an attempt is allowed again, or 0 when it is allowed now. */
  retryAfterMs(email: string, address: string | null, now: number): number {
    let wait = 0;
    for (const [key, limit] of this.keys(email, address)) {
      const c = this.live(key, now);
      if (c) {
        wait = Math.max(wait, c.lastAt + this.delayMs(c.failures, limit) - now);
      }
    }
    return wait;
  }

  recordFailure(email: string, address: string | null, now: number): void {
    for (const [key] of this.keys(email, address)) {
      const c = this.live(key, now);
      if (c) {
        c.failures += 1;
        c.lastAt = now;
      } else {
        this.counts.delete(key);
        this.makeRoom(now);
        this.counts.set(key, { failures: 1, lastAt: now });
      }
    }
  }

  /** A right password: the failures of this account from this address are forgiven. */
  recordSuccess(email: string, address: string | null): void {
    if (address) {
      this.counts.delete(this.keys(email, address)[1]?.[0] ?? '');
    }
  }

  private makeRoom(now: number): void {
    if (this.counts.size < this.limits.maxKeys) {
      return;
    }
    for (const [key, c] of this.counts) {
      if (now - c.lastAt >= this.limits.forgetMs) {
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
