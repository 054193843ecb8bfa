/**
 * A fake vendor API on 127.0.0.1 (random port) for provider tests: it records every request
 * (method, path with query, headers, raw body) and answers with whatever the test's handler returns.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

import { hostPolicy } from '../../src/providers/outbound-hosts.ts';
import type { ProviderDeps } from '../../src/providers/provider.ts';

/** Provider deps for unit tests against fakes on 127.0.0.1: private hosts allowed, no outbox. */
export const localVendorDeps: ProviderDeps = {
  hosts: hostPolicy(true),
  outbox: {
    record: async () => {
      throw new Error('vendor providers keep no outbox');
    },
  },
};

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
  /** Never answer (to test timeouts); the socket is closed when the fake stops. */
  hang?: boolean;
}

export interface VendorFake {
  baseUrl: string;
  requests: RecordedRequest[];
  /** What to answer the next requests with (the handler decides when this queue is empty). */
  answers: FakeAnswer[];
  handler: (req: RecordedRequest) => FakeAnswer;
  close(): Promise<void>;
}

export async function startVendorFake(handler: (req: RecordedRequest) => FakeAnswer = () => ({ status: 200, body: {} })): Promise<VendorFake> {
  const fake: VendorFake = { baseUrl: '', requests: [], answers: [], handler, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      fake.requests.push(recorded);
      const a = fake.answers.shift() ?? fake.handler(recorded);
      if (a.hang) {
        return;
      }
      const body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {});
      const type = typeof a.body === 'string' ? 'text/plain' : 'application/json';
      res.writeHead(a.status ?? 200, { 'content-type': type, ...a.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** A 127.0.0.1 URL on which nothing listens (a port just freed). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
