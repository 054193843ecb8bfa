/**
 * Issue 24 item 7: a gateway no route sends through is flagged on the gateways page, beside its
 * "Send test message" form and in the test message's result, with a one-click catch-all route
 * (`*`) that replaces an existing `*` route only when asked to (the page confirms first).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

let t: TestApp;
let ui: UiSession;
let member: UiSession;

before(async () => {
  t = await createTestApp();
  await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.createMember('clinic', 'member', 'member@example.org');
  assert.equal((await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test' } })).statusCode, 201);
  ui = await uiSession(t);
  member = await uiSession(t, 'member@example.org', 'member-password');
});
after(() => t.close());

const warningOf = (html: string, gateway: string) => new RegExp(`data-gateway="${gateway}"[\\s\\S]*?No route sends through[\\s\\S]*?${gateway}`).test(html);
const routes = async () => (await t.request('GET', '/api/v1/projects/clinic/gateway-routes')).json() as Array<{ prefix: string; gateway: string }>;

test('a gateway without a route is flagged, in words, with the one-click catch-all route', async () => {
  const page = await ui.get('/ui/p/clinic/gateways');
  assert.equal(page.statusCode, 200);
  assert.ok(warningOf(page.body, 'TEST'), 'the TEST gateway is flagged');
  assert.match(page.body, /cases will not reach this gateway until you add a route, for example \* \(all numbers\)/);
  assert.match(page.body, /<form method="post" action="\/ui\/p\/clinic\/gateways\/TEST\/route-all">/);
  assert.match(page.body, /Route all numbers \(\*\) through TEST/);
  // The warning sits in the gateway's card, before its Send test message form.
  const card = page.body.slice(page.body.indexOf('id="gw-TEST"'));
  assert.ok(card.indexOf('No route sends through') < card.indexOf('Send a test message'));
});

test('a member sees the warning but not the button, and cannot post it', async () => {
  const page = await member.get('/ui/p/clinic/gateways');
  assert.ok(warningOf(page.body, 'TEST'));
  assert.doesNotMatch(page.body, /route-all/);
  assert.match(page.body, /A project admin can add the route/);
  const posted = await member.post('/ui/p/clinic/gateways/TEST/route-all', {});
  assert.ok([403, 404].includes(posted.statusCode), String(posted.statusCode));
  assert.deepEqual(await routes(), []);
});

test('the test message result repeats the warning', async () => {
  const sent = await ui.post('/ui/p/clinic/gateways/TEST/test-message', { to: '+254712000111', text: 'Hello from the test' });
  assert.equal(sent.statusCode, 302);
  const result = await ui.get(String(sent.headers.location).replace(/#.*$/, ''));
  const box = result.body.slice(result.body.indexOf('id="test-result"'));
  assert.match(box, /No route sends through/);
  assert.ok(box.indexOf('No route sends through') < box.indexOf('See it in the message log'), 'the warning is inside the result');
});

test('one click adds * → TEST; the warning goes away', async () => {
  const posted = await ui.post('/ui/p/clinic/gateways/TEST/route-all', {});
  assert.equal(posted.statusCode, 302);
  assert.match(String(posted.headers.location), /notice=route-all-added/);
  assert.deepEqual(await routes(), [{ prefix: '*', gateway: 'TEST' }]);
  const page = await ui.get(String(posted.headers.location).replace(/#.*$/, ''));
  assert.match(page.body, /Route added/);
  assert.ok(!warningOf(page.body, 'TEST'));
});

test('with a * route already there, the button says what it replaces, asks first, and only replaces when told', async () => {
  await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }, { prefix: '256', gateway: 'TEST' }] });
  assert.equal((await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'other', type: 'test' } })).statusCode, 201);
  const page = await ui.get('/ui/p/clinic/gateways');
  assert.ok(warningOf(page.body, 'OTHER'));
  assert.match(page.body, /The catch-all route \* sends through TEST now\./);
  assert.match(page.body, /data-confirm="Send every number that no longer prefix catches through OTHER instead of TEST\?"/);
  assert.match(page.body, /Replace \* → TEST with \* → OTHER/);
  // Without replace=1 nothing changes.
  const refused = await ui.post('/ui/p/clinic/gateways/OTHER/route-all', {});
  assert.match(String(refused.headers.location), /notice=route-all-exists/);
  assert.deepEqual(await routes(), [{ prefix: '*', gateway: 'TEST' }, { prefix: '256', gateway: 'TEST' }]);
  const replaced = await ui.post('/ui/p/clinic/gateways/OTHER/route-all', { replace: '1' });
  assert.match(String(replaced.headers.location), /notice=route-all-replaced/);
  const now = await routes();
  assert.deepEqual(new Set(now.map((r) => `${r.prefix} ${r.gateway}`)), new Set(['* OTHER', '256 TEST']), 'the other routes are kept');
  const after = await ui.get('/ui/p/clinic/gateways');
  assert.ok(!warningOf(after.body, 'OTHER'));
  assert.ok(!warningOf(after.body, 'TEST'), 'TEST still has its 256 route');
});

test('a global route the project falls back on counts; a project * route hides it', async () => {
  await t.createProject('lab', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  assert.equal((await t.request('POST', '/api/v1/gateways', { body: { name: 'shared', type: 'test' } })).statusCode, 201);
  await t.request('PUT', '/api/v1/gateway-routes', { body: [{ prefix: '254', gateway: 'SHARED' }] });
  assert.equal((await t.request('POST', '/api/v1/projects/lab/gateways', { body: { name: 'own', type: 'test' } })).statusCode, 201);
  let page = await ui.get('/ui/p/lab/gateways');
  assert.ok(!warningOf(page.body, 'SHARED'), 'numbers of 254 reach SHARED through the global route');
  assert.ok(warningOf(page.body, 'OWN'));
  await t.request('PUT', '/api/v1/projects/lab/gateway-routes', { body: [{ prefix: '*', gateway: 'OWN' }] });
  page = await ui.get('/ui/p/lab/gateways');
  assert.ok(warningOf(page.body, 'SHARED'), 'the project * route catches every number first');
  assert.ok(!warningOf(page.body, 'OWN'));
  // An email gateway has no routes: never flagged.
  await t.request('POST', '/api/v1/projects/lab/gateways', { body: { name: 'mail', type: 'test-email' } });
  page = await ui.get('/ui/p/lab/gateways');
  assert.ok(!warningOf(page.body, 'MAIL'));
});
