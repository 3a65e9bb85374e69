// Shard leases on the real Redis: one holder at a time; the holder renews, others are told who
// holds it and for how long; an expired lease goes to whoever asks next, and the old holder's
// renewals and epochs are refused from then on; epochs only grow; a release frees it at once.
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { ShardLeases } from '../../src/cluster/shard-leases.ts';
import { pollUntil } from '../helpers/poll.ts';

function leases(t: ExecutionContext, ttlMs = 200): { leases: ShardLeases; cluster: string } {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
  const cluster = `vf-test-${randomBytes(6).toString('hex')}`;
  t.teardown(async () => {
    const keys = await redis.keys(`${cluster}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return { leases: new ShardLeases({ redis, cluster, ttlMs }), cluster };
}

const A = { node: 'node-a', incarnation: '11' };
const B = { node: 'node-b', incarnation: '22' };
const A_RESTARTED = { node: 'node-a', incarnation: '33' };

test('one holder at a time: the others learn who holds it, with its epoch and time left', async (t) => {
  const { leases: l } = leases(t, 5_000);
  t.deepEqual(await l.acquire(0, A), { ok: true, epoch: 0 });
  t.true(await l.recordEpoch(0, A, 4));
  const refused = await l.acquire(0, B);
  t.false(refused.ok);
  if (!refused.ok) {
    t.like(refused.holder, { shard: 0, node: 'node-a', incarnation: '11', epoch: 4 });
    t.true(refused.holder.ttlMs > 0 && refused.holder.ttlMs <= 5_000);
  }
  // A restart of the holder is another incarnation: it waits like anyone else.
  t.false((await l.acquire(0, A_RESTARTED)).ok);
  // Asking again as the holder renews, keeping the epoch.
  t.deepEqual(await l.acquire(0, A), { ok: true, epoch: 4 });
  t.deepEqual(await l.acquire(1, B), { ok: true, epoch: 0 });
  const held = await l.holders([0, 1, 2]);
  t.deepEqual(
    [...held.values()].map((h) => [h.shard, h.node, h.epoch]),
    [
      [0, 'node-a', 4],
      [1, 'node-b', 0],
    ],
  );
});

test('an expired lease goes to the next asker; the old holder can neither renew nor record an epoch', async (t) => {
  const { leases: l } = leases(t, 150);
  t.true((await l.acquire(3, A)).ok);
  t.true(await l.renew(3, A));
  // A stops renewing (paused): the lease expires and B takes it.
  await pollUntil(async () => (await l.acquire(3, B)).ok, { limitMs: 10_000, everyMs: 25, what: 'B takes shard 3' });
  t.true(await l.recordEpoch(3, B, 5));
  t.false(await l.renew(3, A), 'the paused holder finds the lease gone');
  t.false(await l.recordEpoch(3, A, 9));
  await t.throwsAsync(l.recordEpoch(3, B, 4), { instanceOf: RangeError, message: /below/ });
  t.like((await l.holders([3])).get(3), { node: 'node-b', epoch: 5 });
});

test('a release frees the lease at once, only by its holder; bad shards and epochs are refused', async (t) => {
  const { leases: l } = leases(t, 60_000);
  t.true((await l.acquire(7, A)).ok);
  t.false(await l.release(7, B));
  t.false((await l.acquire(7, B)).ok);
  t.true(await l.release(7, A));
  t.true((await l.acquire(7, B)).ok);
  await t.throwsAsync(l.acquire(-1, A), { instanceOf: RangeError });
  await t.throwsAsync(l.acquire(1.5, A), { instanceOf: RangeError });
  await t.throwsAsync(l.recordEpoch(7, B, 0), { instanceOf: RangeError });
  t.throws(() => new ShardLeases({ redis: new Redis({ lazyConnect: true }), ttlMs: 10 }), { instanceOf: RangeError });
});
