// Cluster membership on the real Redis (127.0.0.1:6379): every node reads the same members; a
// leave is told at once, a silent node is down for everyone after the bound; a name is held by
// one live incarnation; a node seen down, or whose name was taken, stops being a member; a table
// Redis lost is written again; long-dead rows are swept. Each test has a cluster name of its own.
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { NameTakenError, RedisMembership, type MembershipEvent } from '../../src/cluster/membership.ts';
import { VirtualClock } from '../../src/shared/clock.ts';
import { pollUntil } from '../helpers/poll.ts';

const BOUND_MS = 300;

interface Joined {
  readonly membership: RedisMembership;
  readonly redis: Redis;
  readonly events: MembershipEvent[];
}

function connect(t: ExecutionContext): Redis {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  t.teardown(() => redis.disconnect());
  return redis;
}

const incarnation = (): string => BigInt(`0x${randomBytes(7).toString('hex')}`).toString();

async function join(
  t: ExecutionContext,
  cluster: string,
  name: string,
  extra: { clock?: VirtualClock; incarnation?: string } = {},
): Promise<Joined> {
  const redis = connect(t);
  const events: MembershipEvent[] = [];
  const membership = await RedisMembership.join({
    redis,
    cluster,
    self: { name, incarnation: extra.incarnation ?? incarnation(), address: `ws://127.0.0.1:1/${name}` },
    boundMs: BOUND_MS,
    ...(extra.clock === undefined ? {} : { clock: extra.clock }),
  });
  membership.subscribe((event) => events.push(event));
  t.teardown(() => membership.leave().catch(() => undefined));
  return { membership, redis, events };
}

const names = (j: Joined): string[] => j.membership.members().map((m) => m.name);
const clusterName = (): string => `vf-test-${randomBytes(6).toString('hex')}`;

async function cleanUp(t: ExecutionContext, cluster: string): Promise<void> {
  const redis = connect(t);
  t.teardown(async () => {
    const keys = await redis.keys(`${cluster}:*`);
    if (keys.length > 0) await redis.del(...keys);
  });
}

test('three nodes read the same members; a leave is seen by the others at once, as a leave', async (t) => {
  const cluster = clusterName();
  await cleanUp(t, cluster);
  const a = await join(t, cluster, 'node-a');
  const b = await join(t, cluster, 'node-b');
  const c = await join(t, cluster, 'node-c');
  for (const j of [a, b, c])
    await pollUntil(() => names(j).join() === 'node-a,node-b,node-c', { limitMs: 10_000, everyMs: 20, what: 'all three in every view' });
  t.deepEqual(
    a.membership.members().map((m) => m.address),
    ['ws://127.0.0.1:1/node-a', 'ws://127.0.0.1:1/node-b', 'ws://127.0.0.1:1/node-c'],
  );
  t.true(a.events.some((e) => e.type === 'joined' && e.member.name === 'node-c'));

  await c.membership.leave();
  t.is(c.membership.state, 'left');
  for (const j of [a, b]) {
    const left = await pollUntil(() => j.events.find((e) => e.type === 'left' && e.member.name === 'node-c'), {
      limitMs: 10_000,
      everyMs: 20,
      what: 'node-c left',
    });
    t.like(left, { reason: 'left' });
    t.deepEqual(names(j), ['node-a', 'node-b']);
  }
});

test('a node that stops heartbeating is down for everyone after the bound; its name may then be taken', async (t) => {
  const cluster = clusterName();
  await cleanUp(t, cluster);
  const a = await join(t, cluster, 'node-a');
  const b = await join(t, cluster, 'node-b');
  await pollUntil(() => names(a).length === 2, { limitMs: 10_000, everyMs: 20, what: 'both' });
  // A second node with a live member's name is refused.
  const err = await t.throwsAsync(join(t, cluster, 'node-b'), { instanceOf: NameTakenError });
  t.is(err?.nodeName, 'node-b');

  // node-b's process dies: no leave, no more heartbeats.
  b.redis.disconnect();
  const down = await pollUntil(() => a.events.find((e) => e.type === 'left' && e.member.name === 'node-b'), {
    limitMs: 10_000,
    everyMs: 20,
    what: 'node-b down',
  });
  t.like(down, { reason: 'down' });
  // Restarted, as a new incarnation: accepted, and seen joining.
  const again = await join(t, cluster, 'node-b');
  await pollUntil(() => a.events.filter((e) => e.type === 'joined' && e.member.name === 'node-b').length === 2, {
    limitMs: 10_000,
    everyMs: 20,
    what: 'node-b joined again',
  });
  t.is(again.membership.state, 'member');
});

test('a node paused past the bound finds itself down and stops being a member; one whose name was taken too', async (t) => {
  const cluster = clusterName();
  await cleanUp(t, cluster);
  const a = await join(t, cluster, 'node-a');
  const clock = new VirtualClock();
  const paused = await join(t, cluster, 'node-p', { clock });
  await pollUntil(() => names(a).includes('node-p'), { limitMs: 10_000, everyMs: 20, what: 'node-p seen' });
  // Its timers do not run (the process is paused): the others see it down...
  await pollUntil(() => a.events.some((e) => e.type === 'left' && e.member.name === 'node-p'), {
    limitMs: 10_000,
    everyMs: 20,
    what: 'down',
  });
  // ...and when it runs again, its first heartbeat tells it so.
  clock.advance(BOUND_MS);
  await pollUntil(() => paused.events.find((e) => e.type === 'self-down'), { limitMs: 10_000, everyMs: 20, what: 'self-down' });
  t.is(paused.membership.state, 'down');
  t.false(names(paused).includes('node-p'), 'a node that is down does not count itself');

  const clock2 = new VirtualClock();
  const first = await join(t, cluster, 'node-q', { clock: clock2 });
  await pollUntil(() => a.events.some((e) => e.type === 'left' && e.member.name === 'node-q'), {
    limitMs: 10_000,
    everyMs: 20,
    what: 'q down',
  });
  await join(t, cluster, 'node-q');
  clock2.advance(BOUND_MS);
  const selfDown = await pollUntil(() => first.events.find((e) => e.type === 'self-down'), {
    limitMs: 10_000,
    everyMs: 20,
    what: 'q self-down',
  });
  t.regex((selfDown as { reason: string }).reason, /no heartbeat|took the name/);
});

test('a table Redis lost is written again by its members, under the same incarnation', async (t) => {
  const cluster = clusterName();
  await cleanUp(t, cluster);
  const a = await join(t, cluster, 'node-a');
  const b = await join(t, cluster, 'node-b');
  await pollUntil(() => names(a).length === 2 && names(b).length === 2, { limitMs: 10_000, everyMs: 20, what: 'both' });
  const before = b.membership.members().find((m) => m.name === 'node-b')!.incarnation;
  const admin = connect(t);
  await admin.del(...(await admin.keys(`${cluster}:members*`)));
  await pollUntil(async () => (await admin.zcard(`${cluster}:members`)) === 2, {
    limitMs: 10_000,
    everyMs: 20,
    what: 'rows written again',
  });
  await pollUntil(() => names(a).length === 2, { limitMs: 10_000, everyMs: 20, what: 'view whole again' });
  t.is(a.membership.members().find((m) => m.name === 'node-b')!.incarnation, before);
  t.is(a.membership.state, 'member');
  t.is(b.membership.state, 'member');
});

test('rows silent for ten bounds are swept from the table; bad names and incarnations are refused', async (t) => {
  const cluster = clusterName();
  await cleanUp(t, cluster);
  const admin = connect(t);
  // A row left by a node that died long ago.
  await admin.zadd(`${cluster}:members`, 1, 'node-old');
  await admin.hset(`${cluster}:members:node-old`, 'incarnation', '7', 'address', 'ws://x', 'joined', '1');
  const a = await join(t, cluster, 'node-a');
  t.deepEqual(names(a), ['node-a']);
  t.is(await admin.exists(`${cluster}:members:node-old`), 0);
  t.is(await admin.zscore(`${cluster}:members`, 'node-old'), null);
  const redis = connect(t);
  const self = (name: string, inc = '1') => ({ redis, cluster, self: { name, incarnation: inc, address: 'ws://x' } });
  await t.throwsAsync(RedisMembership.join(self('bad name')), { instanceOf: RangeError });
  await t.throwsAsync(RedisMembership.join(self('x'.repeat(65))), { instanceOf: RangeError });
  await t.throwsAsync(RedisMembership.join(self('ok', 'abc')), { instanceOf: RangeError });
});
