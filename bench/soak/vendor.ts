/**
 * The fake SMS vendor the soak's `http` gateway calls (POST JSON {"id","to","text"} to /send). It
 * records every call with its arrival time on this process's clock, and refuses one call in
 * `failEvery` with 503 so that retries happen (the http provider retries 5xx). A plain HTTP
 * gateway is not idempotent, so each accepted call counts as one real send: a duplicate here is a
 * duplicate a person would receive.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VendorCall {
  id: string;
  to: string;
  at: number;
  accepted: boolean;
}

export interface SoakVendor {
  url: string;
  calls: VendorCall[];
  close(): Promise<void>;
}

export async function startSoakVendor(failEvery = 40): Promise<SoakVendor> {
  const calls: VendorCall[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { id?: unknown; to?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        // recorded with empty id below
      }
      n++;
      const accepted = req.url === '/send' && n % failEvery !== 0;
      calls.push({ id: String(body.id ?? ''), to: String(body.to ?? ''), at: Date.now(), accepted });
      res.writeHead(accepted ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(accepted ? { status: 'accepted' } : { error: 'try again' }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
