/**
 * What the soak did and was told, kept for the invariant checks: cases and their numbers, inbound
 * messages the servers accepted, messages queued, STOP/START acknowledgement times per number,
 * contested two-way claims, broadcasts and imports. Phone numbers are Kenyan mobiles in separate
 * ranges: +25471… case numbers (shared by several cases, STOPped and STARTed), +25472… mobile
 * worker numbers, +25473… numbers two contacts claim at once, +25474… imported rows.
 */
export interface KeywordEvent {
  kind: 'STOP' | 'START';
  number: string;
  gatewayMessageId: string;
  ackAt: number;
}

export interface ContestedClaim {
  number: string;
  kind: 'case' | 'worker';
  ids: string[];
  /** Worker claims: the verify results, one per worker. */
  results: string[];
}

export class SoakState {
  readonly cases: Array<{ id: string; number: string; caseType: string }> = [];
  /** Gateway message ids the webhook answered 200 for (unique), and how many repeats were sent. */
  readonly acceptedInbound = new Set<string>();
  readonly refusedInbound = new Set<string>();
  repeatsSent = 0;
  readonly queued: Array<{ id: string; status: string; to: string | null }> = [];
  readonly keywordEvents: KeywordEvent[] = [];
  /** Numbers whose last acknowledged keyword is STOP. */
  readonly stopped = new Set<string>();
  /** Numbers with a STOP or START not yet acknowledged: at most one keyword per number in flight. */
  readonly keywordInFlight = new Set<string>();
  readonly contested: ContestedClaim[] = [];
  readonly workerNumbers: Array<{ workerId: string; number: string; verified: boolean }> = [];
  readonly broadcasts: string[] = [];
  readonly imports: Array<{ id: string; rows: number; status: string; created: number; failed: number }> = [];
  private seq = { case: 0, worker: 0, contested: 0, imported: 0, inbound: 0 };

  constructor(readonly casePool: number) {}

  /** A case number: the pool is smaller than the number of cases, so households share phones. */
  caseNumber(i = Math.floor(Math.random() * this.casePool)): string {
    return `+25471${String(i).padStart(7, '0')}`;
  }

  nextWorkerNumber(): string {
    return `+25472${String(++this.seq.worker).padStart(7, '0')}`;
  }

  nextContestedNumber(): string {
    return `+25473${String(++this.seq.contested).padStart(7, '0')}`;
  }

  nextImportNumber(): string {
    return `+25474${String(++this.seq.imported).padStart(7, '0')}`;
  }

  nextInboundId(): string {
    return `soak-in-${process.pid}-${++this.seq.inbound}`;
  }

  nextCaseName(): string {
    return `Soak person ${++this.seq.case}`;
  }
}

export function pick<T>(xs: readonly T[]): T | undefined {
  return xs.length ? xs[Math.floor(Math.random() * xs.length)] : undefined;
}

/** National form half of the time, as a clinic would type it. */
export function asTyped(e164: string): string {
  return Math.random() < 0.5 ? e164 : `0${e164.slice(4)}`;
}
