import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chooseEmailGateway, chooseSmsGateway, type GatewayRef, matchRoute, routeProblem } from './gateway.ts';

const gws: GatewayRef[] = [
  { id: 'p-test', name: 'TEST', projectId: 'p', channel: 'sms' },
  { id: 'p-test2', name: 'TEST2', projectId: 'p', channel: 'sms' },
  { id: 'g-global', name: 'GLOBAL', projectId: null, channel: 'sms' },
  { id: 'g-test2', name: 'TEST2', projectId: null, channel: 'sms' },
  { id: 'p-mail', name: 'MAIL', projectId: 'p', channel: 'email' },
];

test('the contact override wins, the project gateway before the global one of the same name', () => {
  assert.deepEqual(chooseSmsGateway('+254712345678', 'TEST2', gws, [], []), { ok: true, gatewayId: 'p-test2', via: 'contact' });
  assert.deepEqual(chooseSmsGateway('+254712345678', 'GLOBAL', gws, [], []), { ok: true, gatewayId: 'g-global', via: 'contact' });
  assert.deepEqual(chooseSmsGateway('+254712345678', 'NOPE', gws, [{ prefix: '*', gatewayId: 'p-test' }], []), { ok: false, code: 'GATEWAY_NOT_FOUND' });
  assert.deepEqual(chooseSmsGateway('+254712345678', 'MAIL', gws, [], []), { ok: false, code: 'GATEWAY_NOT_FOUND' });
});

test('a project route * beats a longer global prefix; the longest project prefix beats *', () => {
  const project = [{ prefix: '*', gatewayId: 'p-test' }, { prefix: '2547', gatewayId: 'p-test2' }, { prefix: '254', gatewayId: 'g-global' }];
  assert.equal(chooseSmsGateway('+12125550000', null, gws, [{ prefix: '*', gatewayId: 'p-test' }], [{ prefix: '1212', gatewayId: 'g-global' }]).ok && 'p-test', 'p-test');
  const r = chooseSmsGateway('+254712345678', null, gws, project, []);
  assert.deepEqual(r, { ok: true, gatewayId: 'p-test2', via: 'project-route' });
  assert.deepEqual(chooseSmsGateway('+12125550000', null, gws, [], [{ prefix: '1', gatewayId: 'a' }, { prefix: '1212', gatewayId: 'b' }]), { ok: true, gatewayId: 'b', via: 'global-route' });
  assert.deepEqual(chooseSmsGateway('+12125550000', null, gws, [], []), { ok: false, code: 'NO_SUITABLE_GATEWAY' });
  assert.equal(matchRoute('44', [{ prefix: '254', gatewayId: 'x' }]), null);
});

test('email: default name, else the only project gateway, else the only global one', () => {
  assert.deepEqual(chooseEmailGateway(null, gws), { ok: true, gatewayId: 'p-mail', via: 'project-route' });
  assert.deepEqual(chooseEmailGateway('NOPE', gws), { ok: false, code: 'GATEWAY_NOT_FOUND' });
  assert.deepEqual(chooseEmailGateway(null, []), { ok: false, code: 'NO_SUITABLE_GATEWAY' });
  assert.deepEqual(chooseEmailGateway(null, [{ id: 'g', name: 'G', projectId: null, channel: 'email' }]), { ok: true, gatewayId: 'g', via: 'global-route' });
});

test('route prefixes are digits or *, without duplicates', () => {
  assert.equal(routeProblem([{ prefix: '*' }, { prefix: '254' }]), null);
  assert.match(routeProblem([{ prefix: '+254' }]) ?? '', /digits/);
  assert.match(routeProblem([{ prefix: '1' }, { prefix: '1' }]) ?? '', /twice/);
});
