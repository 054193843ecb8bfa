/**
 * The mobile worker page on the shared project scope: its Conversation card shows what was sent to
 * the worker (oldest first), and a member's navigation leaves out the entries only an admin opens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';
import { uiSession } from './support/ui-session.ts';

let t: TestApp;
let workerId: string;
const memberEmail = 'worker-page-member@example.org';

before(async () => {
  t = await createTestApp();
  await t.createProject('workers', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  const created = await t.request('POST', '/api/v1/projects/workers/mobile-workers', { body: { username: 'wanjiru' } });
  assert.equal(created.statusCode, 201, created.body);
  workerId = created.json().id;
  const number = await t.request('POST', `/api/v1/projects/workers/mobile-workers/${workerId}/phone-numbers`, { body: { number: '+254712000101' } });
  assert.ok(number.statusCode < 300, number.body);
  await t.createMember('workers', 'member', memberEmail);
});
after(() => t.close());

async function sendToWorker(text: string): Promise<void> {
  const res = await t.request('POST', '/api/v1/projects/workers/messages', { body: { recipient: { mobileWorkerId: workerId }, text } });
  assert.equal(res.statusCode, 201, res.body);
}

/** The Conversation card of a worker page: from its section's opening to its end. */
function conversationCard(html: string): string {
  const start = html.indexOf('<section class="card" id="conversation"');
  assert.ok(start >= 0, 'the page has a Conversation card');
  const end = html.indexOf('</section>', start);
  return html.slice(start, end);
}

describe('the mobile worker page', () => {
  test('the Conversation card shows the messages sent to the worker, oldest first', async () => {
    const ui = await uiSession(t);
    const empty = await ui.get(`/ui/p/workers/mobile-workers/${workerId}`);
    assert.equal(empty.statusCode, 200, empty.body);
    assert.match(conversationCard(empty.body), /<h2 id="conversation-title">Conversation<\/h2>/);
    assert.match(conversationCard(empty.body), /No messages yet\./);

    await sendToWorker('First: clinic day is Monday');
    const one = await ui.get(`/ui/p/workers/mobile-workers/${workerId}`);
    assert.equal(one.statusCode, 200, one.body);
    const card = conversationCard(one.body);
    assert.ok(card.includes('First: clinic day is Monday'), card);
    assert.ok(card.includes(`hx-get="/ui/p/workers/mobile-workers/${workerId}/conversation"`), 'the card polls the live conversation route');

    await sendToWorker('Second: bring the register');
    const two = conversationCard((await ui.get(`/ui/p/workers/mobile-workers/${workerId}`)).body);
    const first = two.indexOf('First: clinic day is Monday');
    const second = two.indexOf('Second: bring the register');
    assert.ok(first >= 0 && second >= 0, two);
    assert.ok(first < second, 'the older message comes first');
    // The phone numbers card is unchanged.
    assert.ok(one.body.includes('+254712000101'));
  });

  test('a member sees the worker page, without the admin-only navigation entries', async () => {
    const admin = await uiSession(t);
    const adminPage = await admin.get(`/ui/p/workers/mobile-workers/${workerId}`);
    assert.equal(adminPage.statusCode, 200);
    assert.ok(adminPage.body.includes('>SMS tester</a>'), 'an admin is offered the SMS tester');

    const member = await uiSession(t, memberEmail, 'member-password');
    const page = await member.get(`/ui/p/workers/mobile-workers/${workerId}`);
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /<a href="\/ui\/p\/workers\/mobile-workers" aria-current="page">Mobile workers<\/a>/);
    assert.ok(!page.body.includes('>SMS tester</a>'), 'a member is not offered the SMS tester');
    assert.ok(!page.body.includes('/ui/p/workers/tester"'), 'no link to the tester at all');
    assert.ok(page.body.includes('id="conversation-title"'), 'the member sees the conversation too');
  });

  test('a member can still add a number (the pages need no admin)', async () => {
    const member = await uiSession(t, memberEmail, 'member-password');
    const res = await member.post(`/ui/p/workers/mobile-workers/${workerId}/phone-numbers`, { number: '+254712000102' });
    assert.equal(res.statusCode, 302, res.body);
    assert.equal(res.headers.location, `/ui/p/workers/mobile-workers/${workerId}?notice=added`);
    const refused = await member.post(`/ui/p/workers/mobile-workers/${workerId}/phone-numbers`, { number: 'not a number' });
    assert.equal(refused.statusCode, 422);
    assert.ok(refused.body.includes('id="conversation-title"'), 'the page answered again keeps its Conversation card');
  });
});
