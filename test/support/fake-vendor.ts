/**
 * A fake vendor API on 127.0.0.1 (random port): records every request exactly as received and
 * answers with what the test scripted (status, headers, body), in order; when the script is empty
 * it uses the default answer. `hang` answers nothing (for timeouts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
}

export interface FakeVendor {
  url: string;
  requests: RecordedRequest[];
  /** Answers to give next, in order. */
  script(...answers: FakeAnswer[]): void;
  close(): Promise<void>;
}

export async function startFakeVendor(defaultAnswer: (req: RecordedRequest, n: number) => FakeAnswer): Promise<FakeVendor> {
  const requests: RecordedRequest[] = [];
  const queue: FakeAnswer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(rec);
      const answer = queue.shift() ?? defaultAnswer(rec, requests.length);
      if (answer.hang) {
        return;
      }
      const body = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...answers) => queue.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
