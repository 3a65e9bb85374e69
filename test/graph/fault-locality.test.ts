// Faults stay where they happen, on the real PostgreSQL with writes in flight, faults injected
// through the runtime's fault injector: a stalled shard holds back only the units that touch it
// (the rest commit during the stall, and everything serves again within 1 s of its end); a shard
// that keeps failing keeps none of its siblings down, and work for it is refused naming it; a
// restarted shard drops the notices of units its previous incarnation applied instead of failing
// on them. None of it restarts anything but the actor the fault was injected into, and what the
// shards and the router hold afterwards is exactly what was committed.
import test, { type ExecutionContext } from 'ava';
import type { GraphAck } from '../../src/actors/graph-router.ts';
import type { GraphShardMsg } from '../../src/actors/graph-shard.ts';
import type { LwwRegister } from '../../src/crdt/lww-register.ts';
import type { NodeValue } from '../../src/graph/model.ts';
import { Partitioner } from '../../src/graph/partition.ts';
import { replayTo } from '../../src/graph/replay.ts';
import type { RuntimeEvent } from '../../src/runtime/events.ts';
import type { Store } from '../../src/storage/open-store.ts';
import { pgStore } from '../fixtures/graph-store.ts';
import { startGraph, type TestGraph } from '../fixtures/graph-system.ts';

const SHARDS = 4;
const NODES = 200;
const partitioner = new Partitioner(SHARDS);

interface Write {
  readonly id: number;
  readonly shard: number;
  readonly sentAt: number;
  readonly ack: GraphAck;
}

/** Supervision events of the graph's actors, to count failures and restarts. */
function supervision(g: TestGraph): RuntimeEvent[] {
  const seen: RuntimeEvent[] = [];
  g.system.events.subscribe((e) => {
    if (e.type === 'actor-failed' || e.type === 'actor-restarted' || e.type === 'restart-intensity-exceeded' || e.type === 'fault-injected')
      seen.push(e);
  });
  return seen;
}

async function preload(g: TestGraph): Promise<void> {
  const ack = await g.update({
    op: 'batch',
    ops: Array.from({ length: NODES }, (_, id) => ({ op: 'add-node', node: { id, title: `n${id}` } })),
  });
  if (!ack.ok) throw new Error(ack.error.message);
}

/** `inFlight` writers, each updating random nodes one at a time, until `ms` have passed. */
async function writeLoad(g: TestGraph, ms: number, inFlight = 8): Promise<Write[]> {
  const writes: Write[] = [];
  const end = performance.now() + ms;
  let n = 0;
  const writer = async (w: number): Promise<void> => {
    while (performance.now() < end) {
      const id = (w * 7919 + n++ * 104729) % NODES;
      const sentAt = performance.now();
      const ack = await g
        .update({ op: 'update-node', id, patch: { title: `t${n}` } })
        .catch((error: unknown): GraphAck => ({ ok: false, error: { code: 'closed', message: `no answer: ${String(error)}` } }));
      writes.push({ id, shard: partitioner.shardOfNode(id), sentAt, ack });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => writer(w)));
  return writes;
}

/** What every shard holds equals what storage replays: failed units left no trace. */
async function assertMatchesStorage(t: ExecutionContext, g: TestGraph, store: Store): Promise<void> {
  const stored = await replayTo(store.db);
  const stats = await g.stats();
  t.is(stats.nodes, stored.nodes.size, 'the router holds the nodes storage holds');
  for (const [id, value] of stored.nodes) {
    const shard = g.system.lookup<GraphShardMsg>(g.parts.shardPaths[partitioner.shardOfNode(id)]!)!;
    const reg = await g.system.ask<GraphShardMsg, LwwRegister<NodeValue> | undefined>(
      shard,
      (replyTo) => ({ type: 'get-node', id, replyTo }),
      10_000,
    );
    if (reg?.value?.title !== value.title) {
      t.fail(`node ${id}: the shard holds ${JSON.stringify(reg?.value?.title)}, storage ${JSON.stringify(value.title)}`);
      return;
    }
  }
  t.pass();
}

const share = (writes: readonly Write[]): string => `${writes.filter((w) => w.ack.ok).length}/${writes.length}`;

test('a stalled shard holds back only the writes that touch it; the rest commit during the stall, and all serve within 1 s of its end', async (t) => {
  t.timeout(120_000);
  const store = await pgStore(t, { groupCommit: { partTimeoutMs: 1_000 } });
  const g = await startGraph(store, { shards: SHARDS }, t);
  await preload(g);
  const events = supervision(g);
  const STALL_MS = 1_600;
  const stalled = 1;
  const load = writeLoad(g, 4_500);
  await new Promise((r) => setTimeout(r, 500));
  g.system.faults.inject(g.parts.shardPaths[stalled]!, { kind: 'stall', durationMs: STALL_MS, times: 1 });
  const writes = await load;

  const injected = events.find((e) => e.type === 'fault-injected');
  t.truthy(injected, 'the stall took effect under the load');
  const stallStart = (injected as Extract<RuntimeEvent, { type: 'fault-injected' }>).time;
  const stallEnd = stallStart + STALL_MS;
  const during = writes.filter((w) => w.sentAt >= stallStart && w.sentAt < stallEnd);
  const healthyDuring = during.filter((w) => w.shard !== stalled);
  t.true(healthyDuring.length >= 20, `writes to healthy shards went on during the stall (${healthyDuring.length})`);
  t.true(
    healthyDuring.filter((w) => w.ack.ok).length >= 0.99 * healthyDuring.length,
    `writes to healthy shards that succeeded during the stall: ${share(healthyDuring)}`,
  );
  for (const w of writes.filter((x) => !x.ack.ok)) {
    if (w.ack.ok) continue;
    t.is(w.shard, stalled, `only writes to the stalled shard fail: ${w.ack.error.code} ${w.ack.error.message}`);
    t.regex(w.ack.error.message, new RegExp(`shard ${stalled}\\b`), 'the error names the shard');
  }
  const after = writes.filter((w) => w.sentAt >= stallEnd + 1_000);
  t.true(after.length > 0 && after.every((w) => w.ack.ok), `every write sent from 1 s after the stall succeeded: ${share(after)}`);
  t.deepEqual(
    events.filter((e) => e.type !== 'fault-injected').map((e) => `${e.type} ${'path' in e ? e.path : ''}`),
    [],
    'a stall restarts nothing',
  );
  await assertMatchesStorage(t, g, store);
});

test('a shard that keeps failing keeps no sibling down: they serve, work for it is refused naming it, and it serves again once it stops failing', async (t) => {
  t.timeout(120_000);
  const store = await pgStore(t, { groupCommit: { partTimeoutMs: 1_000 } });
  const g = await startGraph(
    store,
    { shards: SHARDS, backoff: { minMs: 50, maxMs: 1_000, randomFactor: 0, resetAfterMs: 60_000, stashCapacity: 10_000 } },
    t,
  );
  await preload(g);
  const events = supervision(g);
  const failing = 2;
  const path = g.parts.shardPaths[failing]!;
  g.system.faults.inject(path, { kind: 'throw', times: 1_000 });
  const writes = await writeLoad(g, 3_000);

  const healthy = writes.filter((w) => w.shard !== failing);
  t.true(healthy.length >= 50, `writes to the other shards went on (${healthy.length})`);
  t.true(healthy.filter((w) => w.ack.ok).length >= 0.99 * healthy.length, `writes to the other shards that succeeded: ${share(healthy)}`);
  const refused = writes
    .filter((w) => w.shard === failing && !w.ack.ok)
    .map((w) => (w.ack.ok ? '' : `${w.ack.error.code}: ${w.ack.error.message}`));
  t.true(refused.length > 0);
  t.true(
    refused.some((r) => r.startsWith('shard-unavailable: graph shard 2')),
    `refused at once, naming it: ${refused[0]}`,
  );
  t.true(
    refused.every((r) => /shard 2\b/.test(r)),
    'every refusal names it',
  );
  const troubled = g.parts.health.troubled();
  t.deepEqual(
    troubled.map((s) => [s.shard, s.condition]),
    [[failing, 'restarting']],
    'the health the readiness reports names it',
  );
  t.false(
    events.some((e) => e.type === 'restart-intensity-exceeded'),
    'nothing escalated',
  );
  t.true(
    events.filter((e) => e.type === 'actor-failed').every((e) => 'path' in e && e.path === path),
    'only the failing shard failed',
  );

  g.system.faults.clear(path);
  const start = performance.now();
  while (g.parts.health.condition(failing) !== 'serving') {
    if (performance.now() - start > 10_000) return t.fail('the shard did not come back');
    await new Promise((r) => setTimeout(r, 20));
  }
  const id = [...Array(NODES).keys()].find((n) => partitioner.shardOfNode(n) === failing)!;
  const ack = await g.update({ op: 'update-node', id, patch: { title: 'back' } });
  t.true(ack.ok, ack.ok ? '' : ack.error.message);
  await assertMatchesStorage(t, g, store);
});

test('a restarted shard drops what its previous incarnation left (notices of failed units) and fails no more; a unit failing leaves no trace', async (t) => {
  t.timeout(120_000);
  const store = await pgStore(t, { groupCommit: { partTimeoutMs: 400 } });
  const g = await startGraph(store, { shards: SHARDS }, t);
  await preload(g);
  const events = supervision(g);
  const [a, b] = [0, 1];
  const onA = [...Array(5_000).keys()].filter((n) => n >= NODES && partitioner.shardOfNode(n) === a).slice(0, 20);
  const onB = [...Array(5_000).keys()].filter((n) => n >= NODES && partitioner.shardOfNode(n) === b).slice(0, 20);
  // Shard b stalls: units that span a and b are applied on a and wait for b's part.
  g.system.faults.inject(g.parts.shardPaths[b]!, { kind: 'stall', durationMs: 2_000, times: 1 });
  const spanning = onA.map((x, i) =>
    g.update({
      op: 'batch',
      ops: [
        { op: 'add-node', node: { id: x, title: 'a' } },
        { op: 'add-node', node: { id: onB[i]!, title: 'b' } },
        { op: 'add-edge', edge: { id: 9_000 + i, source: x, target: onB[i]! } },
      ],
    }),
  );
  await new Promise((r) => setTimeout(r, 100));
  // Shard a stalls too, so that the notices of the units that time out wait in its mailbox...
  const shardA = g.system.lookup<GraphShardMsg>(g.parts.shardPaths[a]!)!;
  g.system.faults.inject(g.parts.shardPaths[a]!, { kind: 'stall', durationMs: 3_000, times: 1 });
  shardA.tell({ type: 'get-node', id: 0, replyTo: { path: '/test/none', tell: () => undefined } });
  const acks = await Promise.all(spanning);
  t.true(
    acks.every((x) => !x.ok),
    'every spanning unit failed: shard b never sent its part in time',
  );
  // ...and a restarts with them there.
  g.system.faults.kill(g.parts.shardPaths[a]!);
  const start = performance.now();
  while (!events.some((e) => e.type === 'actor-restarted' && e.path === g.parts.shardPaths[a])) {
    if (performance.now() - start > 10_000) return t.fail('shard a did not restart');
    await new Promise((r) => setTimeout(r, 20));
  }
  // b wakes; everything settles.
  await new Promise((r) => setTimeout(r, 2_500));
  const ok = await g.update({ op: 'add-node', node: { id: onA[0]!, title: 'after' } });
  t.true(ok.ok, ok.ok ? '' : ok.error.message);
  const failures = events.filter((e) => e.type === 'actor-failed').map((e) => ('path' in e ? e.path : ''));
  t.deepEqual(failures, [g.parts.shardPaths[a]], 'the kill was the only failure');
  t.is(events.filter((e) => e.type === 'actor-restarted').length, 1, 'one fault, one restart');
  t.is((await g.stats()).edges, 0, 'no edge of a failed unit is left in the directory');
  await assertMatchesStorage(t, g, store);
});

test('the router restarting while a shard keeps failing does not wait for that shard: it reads it from storage and the others serve', async (t) => {
  t.timeout(120_000);
  const store = await pgStore(t, { groupCommit: { partTimeoutMs: 10_000 } });
  const g = await startGraph(
    store,
    { shards: SHARDS, backoff: { minMs: 50, maxMs: 1_000, randomFactor: 0, resetAfterMs: 60_000, stashCapacity: 10_000 } },
    t,
  );
  await preload(g);
  const events = supervision(g);
  const failing = 3;
  g.system.faults.inject(g.parts.shardPaths[failing]!, { kind: 'throw', times: 1_000 });
  const load = writeLoad(g, 4_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const killedAt = performance.now();
  g.system.faults.kill(g.parts.routerPath);
  const writes = await load;
  const back = events.find((e) => e.type === 'actor-restarted' && e.path === g.parts.routerPath);
  t.truthy(back, 'the router came back');
  const later = writes.filter((w) => w.shard !== failing && w.sentAt >= killedAt + 1_500);
  const backAfter = back === undefined ? undefined : Math.round((back as { time: number }).time - killedAt);
  t.true(
    later.length > 0 && later.every((w) => w.ack.ok),
    `writes to the other shards from 1.5 s after the router was killed: ${share(later)} (the router was back after ${backAfter} ms)`,
  );
  t.is((await g.stats()).nodes, NODES, 'the directory holds every node, those of the failing shard included');
});
