/**
 * The outbound host policy: which addresses count as private (v4, v6, IPv4-mapped v6), and the
 * checked lookup that resolves every address of a name before a socket may connect.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { test } from 'node:test';

import { checkedLookup, connectChecked, HostRefusedError, hostPolicy, isPrivateAddress, literalHostRefusal } from './outbound-hosts.ts';

test('loopback, link-local, private, unspecified and CGNAT addresses are private, in every spelling', () => {
  const privateOnes = [
    '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '100.127.255.254',
    '::1', '::', 'fe80::1', 'febf::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '[::1]', '0:0:0:0:0:0:0:1',
  ];
  const publicOnes = ['8.8.8.8', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.255.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', 'fec0::1', 'api.twilio.com'];
  for (const ip of privateOnes) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  for (const ip of publicOnes) {
    assert.equal(isPrivateAddress(ip), false, ip);
  }
});

test('a literal private host is refused with a reason naming the setting, unless allowed', () => {
  const refused = literalHostRefusal(hostPolicy(false), '[::ffff:127.0.0.1]');
  assert.ok(refused instanceof HostRefusedError);
  assert.match(refused.message, /^The gateway's host ::ffff:127\.0\.0\.1 is a private address; this server does not send to private addresses \(ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS\)\.$/);
  assert.equal(literalHostRefusal(hostPolicy(true), '127.0.0.1'), null);
  assert.equal(literalHostRefusal(hostPolicy(false), 'api.example.org'), null);
});

const lookup = (policy: ReturnType<typeof hostPolicy>, host: string, all: boolean) =>
  new Promise<{ err: Error | null; address: string | LookupAddress[] }>((resolve) => checkedLookup(policy)(host, { all }, (err, address) => resolve({ err, address })));

test('a name resolving to a private address is refused after DNS; allowed, it resolves as usual', async () => {
  const refused = await lookup(hostPolicy(false), 'localhost', false);
  assert.ok(refused.err instanceof HostRefusedError);
  assert.match(refused.err.message, /host localhost \((127\.0\.0\.1|::1)\) is a private address/);
  const allowed = await lookup(hostPolicy(true), 'localhost', true);
  assert.equal(allowed.err, null);
  assert.ok(Array.isArray(allowed.address) && allowed.address.length > 0);
  await assert.rejects(connectChecked(hostPolicy(false), 'localhost', 9, 1000), HostRefusedError);
  await assert.rejects(connectChecked(hostPolicy(false), '127.0.0.1', 9, 1000), HostRefusedError);
});
