import assert from 'node:assert/strict';
import { test } from 'node:test';

import { routeInbound, type RouteInput } from './inbound-route.ts';

const base: RouteInput = { text: 'hello', optedOut: false, gatewayWords: { optIn: [], optOut: [] }, holder: null, projectId: 'p', defaultSmsResponse: null };
const twoWay = { state: 'two-way' as const, ownerType: 'case' as const, projectId: 'p' };

test('keywords, 123 from a pending worker, join and default replies act; the rest is recorded', () => {
  assert.deepEqual(routeInbound({ ...base, text: ' stop ' }), { kind: 'act' });
  assert.deepEqual(routeInbound({ ...base, text: 'ARRET', gatewayWords: { optIn: [], optOut: ['ARRET'] } }), { kind: 'act' });
  assert.deepEqual(routeInbound({ ...base, text: 'yes' }), { kind: 'passive', handling: 'unrecognised' });
  assert.deepEqual(routeInbound({ ...base, text: 'yes', optedOut: true }), { kind: 'act' });
  assert.deepEqual(routeInbound({ ...base, text: '123', holder: { state: 'pending', ownerType: 'mobile-worker', projectId: 'p' } }), { kind: 'act' });
  assert.deepEqual(routeInbound({ ...base, text: 'hi', holder: { state: 'pending', ownerType: 'mobile-worker', projectId: 'p' } }), { kind: 'passive', handling: 'unrecognised' });
  assert.deepEqual(routeInbound({ ...base, text: 'join demo' }), { kind: 'act' });
  assert.deepEqual(routeInbound({ ...base, text: 'join demo', holder: twoWay }), { kind: 'passive', handling: 'contact' });
  assert.deepEqual(routeInbound({ ...base, holder: twoWay, defaultSmsResponse: 'Thanks' }), { kind: 'act' });
  assert.deepEqual(routeInbound({ ...base, holder: twoWay, defaultSmsResponse: 'Thanks', projectId: 'other' }), { kind: 'passive', handling: 'contact' });
});

test('a sender in an open survey acts (its message is an answer), except join, which its own step handles', () => {
  assert.deepEqual(routeInbound({ ...base, text: 'Kibera', inSurvey: true }), { kind: 'act' });
  assert.deepEqual(routeInbound({ ...base, text: 'join demo', holder: twoWay, inSurvey: true }), { kind: 'passive', handling: 'contact' });
});
