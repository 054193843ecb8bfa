/**
 * The soak's outbound verdict (bench/soak/check-messages.ts, judgeOutbound) on made-up rows and
 * vendor calls: a sent message reached the vendor exactly once; an attempt that ended before the
 * vendor (a connection that failed before the request, a lease another worker took over) is
 * allowed and counted; more calls than attempts, a second accepted call, or a failed message the
 * vendor accepted are defects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { judgeOutbound, type OutRow } from '../bench/soak/check-messages.ts';
import type { VendorCall } from '../bench/soak/vendor.ts';

const row = (id: string, status: string, attempts: number, error_code: string | null = null): OutRow => ({ id, status, attempts, to_address: '+254700000000', bypass_opt_out: false, error_code });
const call = (id: string, accepted: boolean): VendorCall => ({ id, to: '+254700000000', at: 0, accepted });

test('one accepted call per sent message passes, with a refused retry or an attempt that never reached the vendor', () => {
  const v = judgeOutbound(
    [row('a', 'sent', 1), row('b', 'sent', 2), row('c', 'delivered', 2), row('d', 'failed', 1, 'GATEWAY_ERROR')],
    [call('a', true), call('b', false), call('b', true), call('c', true)],
  );
  assert.deepEqual([v.notFinal, v.wrongCount, v.phantom], [[], [], []]);
  assert.equal(v.silentAttempts, 1, "c's first attempt never reached the vendor");
  assert.deepEqual([...v.byStatus], [['sent', 2], ['delivered', 1], ['failed GATEWAY_ERROR', 1]]);
});

test('a second accepted call, more calls than attempts, a failed message the vendor took, a stuck one and an unknown id are each reported', () => {
  const v = judgeOutbound(
    [row('twice', 'sent', 2), row('more', 'sent', 1), row('took', 'failed', 1, 'GATEWAY_ERROR'), row('stuck', 'sending', 1), row('many', 'sent', 4)],
    [call('twice', true), call('twice', true), call('more', false), call('more', true), call('took', true), call('many', true), call('ghost', true)],
  );
  assert.deepEqual(v.notFinal, ['stuck: still sending']);
  assert.equal(v.wrongCount.length, 4);
  assert.match(v.wrongCount.join('\n'), /twice: sent, vendor accepted 2×/);
  assert.match(v.wrongCount.join('\n'), /more: sent, vendor accepted 1× and refused 1×, attempts 1/);
  assert.match(v.wrongCount.join('\n'), /took: failed \(GATEWAY_ERROR\) but the vendor accepted it 1×/);
  assert.match(v.wrongCount.join('\n'), /many: sent, .* attempts 4/);
  assert.deepEqual(v.phantom, ['vendor call for unknown message ghost to +254700000000']);
});
