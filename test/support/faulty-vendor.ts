/**
 * A misbehaving SMS vendor on 127.0.0.1 (random port) for fault tests through a real server: each
 * request is recorded (with the JSON body parsed) and answered as the test's `behave` function says:
 * an answer after an optional delay, no answer at all (`hang`, until the client gives up), or a reset
 * connection (`reset`, the socket is destroyed before any byte of an answer). `behave` can be
 * swapped while the server runs, to make the vendor recover.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VendorCall {
  at: number;
  path: string;
  body: Record<string, string>;
  /** How the request ended: answered with a status, hung, reset, or the client went away first. */
  outcome: number | 'hang' | 'reset' | 'client-gone' | 'pending';
}

export type Behaviour = { status: number; body?: unknown; delayMs?: number; headers?: Record<string, string> } | { hang: true } | { reset: true };

export interface FaultyVendor {
  url: string;
  calls: VendorCall[];
  behave: (call: VendorCall, n: number) => Behaviour;
  /** Requests whose body carries this `id`. */
  callsFor(id: string): VendorCall[];
  close(): Promise<void>;
}

export async function startFaultyVendor(behave: FaultyVendor['behave']): Promise<FaultyVendor> {
  const calls: VendorCall[] = [];
  const vendor: FaultyVendor = {
    url: '',
    calls,
    behave,
    callsFor: (id) => calls.filter((c) => c.body.id === id),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, string> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
      } catch {
        body = {};
      }
      const call: VendorCall = { at: Date.now(), path: req.url ?? '', body, outcome: 'pending' };
      calls.push(call);
      res.on('close', () => {
        if (call.outcome === 'pending') {
          call.outcome = 'client-gone';
        }
      });
      const b = vendor.behave(call, calls.length);
      if ('hang' in b) {
        call.outcome = 'hang';
        return;
      }
      if ('reset' in b) {
        call.outcome = 'reset';
        req.socket.destroy();
        return;
      }
      const answer = () => {
        if (res.destroyed) {
          return;
        }
        call.outcome = b.status;
        res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers });
        res.end(JSON.stringify(b.body ?? {}));
      };
      if (b.delayMs) {
        setTimeout(answer, b.delayMs);
      } else {
        answer();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vendor.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vendor.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return vendor;
}

/** Config of a generic `http` gateway that POSTs JSON `{to, text, id}` to the vendor's /send. */
export function httpGatewayConfig(vendorUrl: string, timeoutMs: number): Record<string, unknown> {
  return {
    url: `${vendorUrl}/send`,
    method: 'POST',
    bodyFormat: 'json',
    body: JSON.stringify({ to: '{to}', text: '{text}', id: '{message_id}' }),
    messageIdPath: 'vendorId',
    timeoutMs,
  };
}
