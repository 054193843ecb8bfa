/**
 * The soak's HTTP client: every request it makes is recorded (kind, server, status, latency,
 * start time), and an answer outside the statuses the caller expected is kept for the report.
 */
export interface RequestRecord {
  kind: string;
  server: number;
  status: number;
  ms: number;
  at: number;
}

export interface Unexpected {
  kind: string;
  server: number;
  method: string;
  path: string;
  status: number;
  body: string;
}

export interface Answer {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  at: number;
}

export class SoakClient {
  readonly records: RequestRecord[] = [];
  readonly unexpected: Unexpected[] = [];
  token = '';

  constructor(readonly bases: readonly string[]) {}

  async call(kind: string, server: number, method: string, path: string, body?: unknown, expect: readonly number[] = [200, 201, 202, 204]): Promise<Answer> {
    const init: RequestInit = {
      method,
      headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      signal: AbortSignal.timeout(30_000),
    };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    return this.send(kind, server, method, path, init, expect);
  }

  async upload(kind: string, server: number, path: string, form: FormData, expect: readonly number[] = [201]): Promise<Answer> {
    return this.send(kind, server, 'POST', path, { method: 'POST', headers: { authorization: `Bearer ${this.token}` }, body: form, signal: AbortSignal.timeout(60_000) }, expect);
  }

  private async send(kind: string, server: number, method: string, path: string, init: RequestInit, expect: readonly number[]): Promise<Answer> {
    const base = this.bases[server % this.bases.length] as string;
    const start = performance.now();
    let status = 0;
    let text = '';
    try {
      const res = await fetch(base + path, init);
      status = res.status;
      text = await res.text();
    } catch (err) {
      text = String((err as Error).message);
    }
    const at = Date.now();
    this.records.push({ kind, server: server % this.bases.length, status, ms: performance.now() - start, at });
    if (!expect.includes(status)) {
      this.unexpected.push({ kind, server: server % this.bases.length, method, path, status, body: text.slice(0, 300) });
    }
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status, json, at };
  }
}
