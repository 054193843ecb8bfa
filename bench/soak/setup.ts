/**
 * The soak's project: `soak` (Kenya, Africa/Nairobi) with a default SMS response (so ordinary
 * replies cause outbound replies too) and one `http` gateway, VENDOR, that posts every message to
 * the fake vendor; every number is routed to it. The gateway's rate limit (200/s) is far above the
 * soak's traffic, so it never holds messages back for long.
 */
import type { SoakClient } from './client.ts';
import { ADMIN } from './cluster.ts';

export const PROJECT = 'soak';

export interface SoakSetup {
  /** Path of the gateway's inbound webhook (the same on both servers). */
  inboundPath: string;
}

function must(what: string, a: { status: number; json: unknown }, want: number): void {
  if (a.status !== want) {
    throw new Error(`${what}: ${a.status} ${JSON.stringify(a.json).slice(0, 300)}`);
  }
}

export async function setUpProject(client: SoakClient, vendorUrl: string): Promise<SoakSetup> {
  const login = await client.call('setup', 0, 'POST', '/api/v1/auth/tokens', ADMIN, [201]);
  must('login', login, 201);
  client.token = login.json.token as string;
  must('project', await client.call('setup', 0, 'POST', '/api/v1/projects', { name: PROJECT, timeZone: 'Africa/Nairobi', defaultCountry: 'KE' }, [201]), 201);
  must(
    'project settings',
    await client.call('setup', 1, 'PATCH', `/api/v1/projects/${PROJECT}`, { defaultSmsResponse: 'Thank you, we received your message.', helpText: 'Reply STOP to stop messages.' }, [200]),
    200,
  );
  const gw = await client.call(
    'setup',
    0,
    'POST',
    `/api/v1/projects/${PROJECT}/gateways`,
    {
      name: 'VENDOR',
      type: 'http',
      ratePerSecond: 200,
      config: { url: `${vendorUrl}/send`, method: 'POST', bodyFormat: 'json', body: { id: '{message_id}', to: '{to}', text: '{text}' }, timeoutMs: 10_000 },
    },
    [201],
  );
  must('gateway', gw, 201);
  must('routes', await client.call('setup', 1, 'PUT', `/api/v1/projects/${PROJECT}/gateway-routes`, [{ prefix: '*', gateway: 'VENDOR' }], [200]), 200);
  return { inboundPath: new URL(gw.json.inboundUrl as string).pathname };
}
