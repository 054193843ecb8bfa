/**
 * A minimal HTTP/1.1 keep-alive client for the load processes: one request at a time per socket,
 * requests written as prebuilt strings, answers read only as far as the status line and
 * Content-Length. node:http's client costs several times more CPU per request, and on this 2-core
 * machine the load process's CPU is taken from the server it measures. Answers must carry a
 * Content-Length (Fastify's JSON answers do); anything else is reported as an error.
 */
import net from 'node:net';

/** An answer that takes longer than this fails the request and closes its connection (node:http's client had the same 10 s). */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RawAnswer {
  status: number;
}

/** One keep-alive connection; `send` must not be called again before its promise settles. */
export class RawConnection {
  private readonly socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (a: RawAnswer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private closed: Error | null = null;
  private readonly ready: Promise<void>;

  constructor(
    private readonly host: string,
    port: number,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  async send(req: RawRequest): Promise<RawAnswer> {
    await this.ready;
    if (this.closed) {
      throw this.closed;
    }
    const body = req.body ?? '';
    let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${this.host}\r\nconnection: keep-alive\r\n`;
    for (const [k, v] of Object.entries(req.headers)) {
      head += `${k}: ${v}\r\n`;
    }
    if (req.body !== undefined) {
      head += `content-length: ${Buffer.byteLength(body)}\r\n`;
    }
    return new Promise<RawAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${req.method} ${req.path}`));
        this.socket.destroy();
      }, REQUEST_TIMEOUT_MS);
      this.pending = { resolve, reject, timer };
      this.socket.write(`${head}\r\n${body}`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) {
      return;
    }
    const head = this.buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      this.fail(new Error(`answer without content-length: ${head.split('\r\n')[0]}`));
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buffer.length < total) {
      return;
    }
    this.buffer = this.buffer.subarray(total);
    const p = this.pending;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve({ status });
  }

  private fail(err: Error): void {
    this.closed ??= err;
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
