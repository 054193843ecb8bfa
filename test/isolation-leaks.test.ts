/**
 * What each role can READ (issue 23). The authorization matrix proves who may call what; this proves
 * that what an allowed call returns holds nothing of another project. Two seeded projects (alpha,
 * bravo) and a global test gateway GTEST that bravo has sent a message through. Every GET route the
 * app registers (recorded, so a route added later is walked without editing this file), API and UI,
 * is called on project alpha by the four roles — alpha's member, alpha's admin, bravo's admin and a
 * superuser — and its answer is searched for what that role must not see:
 *   - everyone: bravo's ids, names, numbers and texts when reading alpha (a project sees only its own
 *     messages in any outbox, log or export), and alpha's when bravo's admin knocks on alpha;
 *   - everyone but a superuser: the global gateway's webhook key (posting to it acts for every project);
 *   - alpha's member: alpha's own webhook keys (only the gateway owner's admins see them).
 * Plus the SMS tester: admin-only, own test gateways only, and never as another project's contact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { fill, type Ids, type Role, type SecurityFixture, createSecurityFixture } from './support/security-fixture.ts';

type Json = Record<string, any>;

const READERS: Role[] = ['member', 'admin', 'otherAdmin', 'superuser'];
const BRAVO_TEXT = 'BRAVO-PRIVATE-TEXT-8213';

let f: SecurityFixture;
const keys: Record<string, string> = {};

function keyOf(url: string | undefined): string {
  const m = /\/webhooks\/([^/]+)\//.exec(url ?? '');
  assert.ok(m?.[1], `a webhook URL: ${url}`);
  return m[1];
}

/** Strings that identify a seeded project's data (its ids, its names, its numbers, its texts). */
function markersOf(ids: Ids, name: string, n: string): string[] {
  const idKeys = ['projectId', 'cases', 'mobile-workers', 'messages', 'broadcasts', 'surveys', 'imports', 'possible-opt-outs'];
  return [
    ...idKeys.map((k) => ids[k] as string),
    `Case of ${name}`,
    `Survey of ${name}`,
    `contacts-${name}.csv`,
    `Imported ${name}`,
    `+25471211${n}`,
    `25471233${n}`,
    `+25471255${n}`,
  ];
}

async function ok(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, token?: string | null): Promise<Json> {
  const res = await f.t.request(method, url, token === undefined ? { body } : { body, token });
  assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.body ? res.json() : {};
}

before(async () => {
  f = await createSecurityFixture();
  const su = f.creds.superuser.token;
  // A global test gateway, and bravo's message through it, sent (so it is in GTEST's outbox).
  keys.global = keyOf((await ok('POST', '/api/v1/gateways', { name: 'gtest', type: 'test' }, su)).inboundUrl);
  const sent = await ok('POST', '/api/v1/projects/bravo/gateways/GTEST/test-message', { to: '+254712112222', text: BRAVO_TEXT }, su);
  f.bravo.gtestMessage = sent.id;
  await dispatchOnce(f.t.deps, { batchSize: 100, leaseMs: 60_000 });
  const outbox = (await ok('GET', '/api/v1/projects/bravo/gateways/GTEST/outbox', undefined, su)) as unknown as Json[];
  assert.ok(outbox.some((o) => o.text === BRAVO_TEXT), "bravo's message is in the global gateway's outbox");
  for (const p of ['alpha', 'bravo']) {
    const gw = await ok('GET', `/api/v1/projects/${p}/gateways/GW`, undefined, su);
    keys[p] = keyOf(gw.inboundUrl);
  }
});
after(() => f.t.close());

function forbiddenFor(role: Role): string[] {
  const bravo = [...markersOf(f.bravo, 'bravo', '2222'), f.bravo.gtestMessage as string, BRAVO_TEXT, keys.bravo as string];
  const alpha = [...markersOf(f.alpha, 'alpha', '1111'), keys.alpha as string];
  switch (role) {
    case 'superuser':
      return bravo;
    case 'admin':
      return [...bravo, keys.global as string];
    case 'member':
      return [...bravo, keys.global as string, keys.alpha as string];
    default:
      // Bravo's admin knocking on alpha: nothing of alpha (nor the global key).
      return [...alpha, keys.global as string];
  }
}

async function get(url: string, role: Role): Promise<{ status: number; body: string }> {
  const c = f.creds[role];
  const res = url.startsWith('/ui') || url === '/'
    ? await f.t.app.inject({ method: 'GET', url, headers: c.cookie ? { cookie: c.cookie } : {} })
    : await f.t.request('GET', url, { token: c.token });
  return { status: res.statusCode, body: res.body };
}

function leaks(body: string, forbidden: readonly string[]): string[] {
  return forbidden.filter((m) => m && body.includes(m));
}

describe('what each role reads', () => {
  test('every GET route the app registers is read by the four roles, and none answers with what the role must not see', async () => {
    const gets = f.routes.filter((r) => r.method === 'GET' && !r.url.startsWith('/webhooks/') && !r.url.startsWith('/unsubscribe/'));
    assert.ok(gets.length > 40, `routes recorded: ${gets.length}`);
    const problems: string[] = [];
    for (const role of READERS) {
      const forbidden = forbiddenFor(role);
      for (const r of gets) {
        const url = fill(r.url, f.alpha);
        const { status, body } = await get(url, role);
        assert.ok(status < 500, `${role} GET ${url}: ${status} ${body.slice(0, 200)}`);
        // A superuser's server-wide lists (GET /api/v1/projects) rightly name every project.
        const found = role === 'superuser' && !r.url.includes(':project') ? [] : leaks(body, forbidden);
        if (found.length) {
          problems.push(`${role} GET ${url} (${status}) shows ${found.join(', ')}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test("alpha reading the global gateway's outbox sees none of bravo's messages (and its own when it sends)", async () => {
    for (const role of ['member', 'admin', 'superuser'] as const) {
      const { status, body } = await get('/api/v1/projects/alpha/gateways/GTEST/outbox', role);
      assert.equal(status, 200, body);
      assert.deepEqual(JSON.parse(body), [], `${role}: ${body}`);
    }
    await ok('POST', '/api/v1/projects/alpha/gateways/GTEST/test-message', { to: '+254712111111', text: 'alpha through GTEST' }, f.creds.superuser.token);
    await dispatchOnce(f.t.deps, { batchSize: 100, leaseMs: 60_000 });
    const alphaView = JSON.parse((await get('/api/v1/projects/alpha/gateways/GTEST/outbox', 'member')).body) as Json[];
    assert.deepEqual(alphaView.map((o) => o.text), ['alpha through GTEST']);
    const bravoView = JSON.parse((await get('/api/v1/projects/bravo/gateways/GTEST/outbox', 'superuser')).body) as Json[];
    assert.deepEqual(bravoView.map((o) => o.text), [BRAVO_TEXT]);
  });

  test("alpha's queries naming bravo's number or ids find nothing of bravo", async () => {
    const probes = [
      '/api/v1/projects/alpha/messages?number=%2B254712112222',
      '/api/v1/projects/alpha/survey-sessions?number=%2B254712112222',
      '/api/v1/projects/alpha/phone-numbers/254712112222',
      '/api/v1/projects/alpha/phone-numbers/254712112222/consent',
      '/ui/p/alpha/numbers/254712112222',
      '/ui/p/alpha/tester?number=254712112222',
      `/api/v1/projects/alpha/messages/${f.bravo.gtestMessage}`,
    ];
    const bravoContent = [f.bravo.cases, f.bravo['mobile-workers'], f.bravo.messages, f.bravo.gtestMessage, BRAVO_TEXT, 'Case of bravo'];
    for (const role of ['member', 'admin', 'superuser'] as const) {
      for (const url of probes) {
        const { status, body } = await get(url, role);
        assert.ok(status < 500, `${role} ${url}: ${status}`);
        assert.deepEqual(leaks(body, bravoContent as string[]), [], `${role} GET ${url} (${status})`);
      }
    }
  });
});

describe('webhook URLs are secrets', () => {
  test("a member sees the gateways but not their webhook URLs; an admin sees its own project's, not the global gateway's", async () => {
    const member = JSON.parse((await get('/api/v1/projects/alpha/gateways', 'member')).body).items as Json[];
    assert.deepEqual(member.map((g) => g.name).sort(), ['GTEST', 'GW']);
    assert.ok(member.every((g) => g.inboundUrl === undefined && g.statusUrl === undefined), JSON.stringify(member));
    const admin = JSON.parse((await get('/api/v1/projects/alpha/gateways', 'admin')).body).items as Json[];
    assert.match(admin.find((g) => g.name === 'GW')?.inboundUrl ?? '', /\/webhooks\/.+\/inbound$/);
    assert.equal(admin.find((g) => g.name === 'GTEST')?.inboundUrl, undefined);
    assert.deepEqual(admin.find((g) => g.name === 'GW')?.webhookProtection, { inbound: 'url-key', status: 'url-key' });
    const single = JSON.parse((await get('/api/v1/projects/alpha/gateways/GW', 'member')).body);
    assert.equal(single.inboundUrl, undefined);
    const su = JSON.parse((await get('/api/v1/projects/alpha/gateways', 'superuser')).body).items as Json[];
    assert.ok(su.every((g) => typeof g.inboundUrl === 'string'));
  });

  test('the gateways page tells a member who sees the URLs, and an admin how each webhook is authenticated', async () => {
    const member = (await get('/ui/p/alpha/gateways', 'member')).body;
    assert.match(member, /only this project&#39;s admins see it|only this project's admins see it/);
    assert.doesNotMatch(member, /Add gateway|Save routes|Send test message/);
    const admin = (await get('/ui/p/alpha/gateways', 'admin')).body;
    assert.ok(admin.includes(keys.alpha as string));
    assert.match(admin, /Not signed: the secret key in this URL is the only proof/);
    assert.match(admin, /only a superuser sees it/);
  });
});

describe('the SMS tester', () => {
  async function post(role: Role, form: Record<string, string>) {
    const c = f.creds[role];
    return f.t.app.inject({
      method: 'POST',
      url: '/ui/p/alpha/tester',
      headers: { cookie: c.cookie as string, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: c.csrf, ...form }).toString(),
    });
  }

  test('is for project admins only', async () => {
    assert.equal((await get('/ui/p/alpha/tester', 'member')).status, 403);
    assert.equal((await post('member', { gateway: 'GW', from: '+254700000001', text: 'STOP' })).statusCode, 403);
    assert.equal((await get('/ui/p/alpha/tester', 'admin')).status, 200);
  });

  test("offers only the project's own test gateways, and refuses the global one", async () => {
    const page = (await get('/ui/p/alpha/tester', 'admin')).body;
    assert.match(page, /<option value="GW"/);
    assert.doesNotMatch(page, /GTEST/);
    const res = await post('admin', { gateway: 'GTEST', from: '+254700000001', text: 'STOP' });
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /own test gateways/);
  });

  test("refuses a number held by bravo's contact, and bravo's contact keeps its consent", async () => {
    const res = await post('admin', { gateway: 'GW', from: '+254712112222', text: 'STOP' });
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /belongs to a contact of another project/);
    await processInbound(f.t.deps, 50);
    const optOuts = await f.t.deps.db.selectFrom('opt_outs').selectAll().execute();
    assert.equal(optOuts.length, 0, JSON.stringify(optOuts));
  });

  test("a tester message from alpha's own contact is handled, and marked as a test in the log", async () => {
    const res = await post('admin', { gateway: 'GW', from: '+254712111111', text: 'hello from the tester' });
    assert.equal(res.statusCode, 302, res.body);
    await processInbound(f.t.deps, 50);
    const log = JSON.parse((await get('/api/v1/projects/alpha/messages?direction=in', 'admin')).body).items as Json[];
    const m = log.find((x) => x.text === 'hello from the tester');
    assert.ok(m, JSON.stringify(log));
    assert.equal(m.viaTester, true);
    assert.ok(m.processedAt);
  });

  test('a tester message whose number was given to another project since it was typed is not acted on', async () => {
    // Typed while the number was free; bravo registers it before the handler takes the message.
    const res = await post('admin', { gateway: 'GW', from: '+254712119999', text: 'STOP' });
    assert.equal(res.statusCode, 302, res.body);
    await ok('POST', '/api/v1/projects/bravo/cases', { caseType: 'patient', name: 'Late bravo', properties: { contact_phone_number: '+254712119999' } }, f.creds.superuser.token);
    await processInbound(f.t.deps, 50);
    const optOuts = await f.t.deps.db.selectFrom('opt_outs').selectAll().where('number', '=', '+254712119999').execute();
    assert.equal(optOuts.length, 0);
    const row = await f.t.deps.db.selectFrom('messages').select(['handling', 'via_tester']).where('from_address', '=', '+254712119999').executeTakeFirstOrThrow();
    assert.equal(row.via_tester, true);
    assert.match(row.handling ?? '', /^tester: refused/);
  });
});

describe('adding users', () => {
  test("an email used in another organisation gets the same answer as a new one", async () => {
    const admin = f.creds.admin.token;
    const known = await f.t.request('POST', '/api/v1/projects/alpha/users', { token: admin, body: { email: 'bravo-admin@example.org', password: 'whatever-password', role: 'member' } });
    const unknown = await f.t.request('POST', '/api/v1/projects/alpha/users', { token: admin, body: { email: 'brand-new@example.org', password: 'whatever-password', role: 'member' } });
    assert.equal(known.statusCode, 201, known.body);
    assert.equal(unknown.statusCode, 201, unknown.body);
    assert.deepEqual(Object.keys(known.json()).sort(), Object.keys(unknown.json()).sort());
    // Bad input is refused alike too, before anything is looked up.
    const badKnown = await f.t.request('POST', '/api/v1/projects/alpha/users', { token: admin, body: { email: 'root@example.org', password: 'short', role: 'member' } });
    const badUnknown = await f.t.request('POST', '/api/v1/projects/alpha/users', { token: admin, body: { email: 'nobody-yet@example.org', password: 'short', role: 'member' } });
    assert.equal(badKnown.statusCode, 400);
    assert.equal(badKnown.body, badUnknown.body);
    // The existing user keeps their own password (the one typed by alpha's admin does nothing).
    const signIn = await f.t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'bravo-admin@example.org', password: 'whatever-password' } });
    assert.equal(signIn.statusCode, 401);
  });

  test('defaultEmailGateway must name an email gateway the project can use', async () => {
    const admin = f.creds.admin.token;
    const res = await f.t.request('PATCH', '/api/v1/projects/alpha', { token: admin, body: { defaultEmailGateway: 'NO-SUCH' } });
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().error.code, 'GATEWAY_NOT_FOUND');
    const sms = await f.t.request('PATCH', '/api/v1/projects/alpha', { token: admin, body: { defaultEmailGateway: 'GW' } });
    assert.equal(sms.json().error?.code, 'GATEWAY_NOT_FOUND');
    await ok('POST', '/api/v1/projects/alpha/gateways', { name: 'mail', type: 'test-email' }, admin);
    const good = await f.t.request('PATCH', '/api/v1/projects/alpha', { token: admin, body: { defaultEmailGateway: 'mail' } });
    assert.equal(good.statusCode, 200, good.body);
    assert.equal(good.json().defaultEmailGateway, 'MAIL');
  });
});
