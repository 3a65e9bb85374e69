// The SSSP actor in a running system: it subscribes to the topology, answers queries tagged with
// the graph version they used, streams tree and path frames to subscribers, re-subscribes when a
// change does not fit, falls back to the CPU when the GPU fails, and sits under /app/compute.
import test, { type ExecutionContext } from 'ava';
import { InMemoryFailureSink } from '../../src/actors/permanent-failure-sink.ts';
import {
  ssspActor,
  type SsspActorOptions,
  type SsspMsg,
  type SsspReply,
  type SsspStats,
  type SsspStreamMsg,
} from '../../src/actors/sssp.ts';
import type { TopologyChange, TopologySubscription } from '../../src/graph/topology.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { failure, type SsspEngine } from '../../src/sssp/engine.ts';
import { decodeSsspFrame, distancesOf } from '../../src/sssp/frame/decoder.ts';
import { appSpec, ssspChildren, startApp } from '../../src/supervisors/app-tree.ts';
import { fakeTopologyPublisher } from '../fixtures/topology-publisher.ts';
import { testSystem } from '../helpers/system.ts';

const nodes = [1, 2, 3, 4, 5].map((id) => ({ id, kind: 'concept' as const }));
const edges = [
  { id: 1n, source: 1, target: 2, weight: 1 },
  { id: 2n, source: 2, target: 3, weight: 1 },
  { id: 3n, source: 1, target: 3, weight: 5 },
  { id: 4n, source: 3, target: 4, weight: 2 },
];
const reset: TopologyChange = { type: 'reset', version: 10, nodes, edges };

function setup(t: ExecutionContext, options: SsspActorOptions = {}, snapshot: TopologyChange = reset) {
  const ts = testSystem(t);
  const subscribed: Ref<TopologyChange>[] = [];
  const topology = ts.system.spawn<TopologySubscription>(
    () => ({
      receive(m) {
        if (m.type === 'subscribe-topology') {
          subscribed.push(m.subscriber);
          m.subscriber.tell(snapshot);
        }
      },
    }),
    { name: 'topology' },
  );
  const sssp = ts.system.spawn(ssspActor({ topology, gpu: 'off', ...options }), { name: 'sssp' });
  const frames: SsspStreamMsg[] = [];
  const client = ts.system.spawn<SsspStreamMsg>(() => ({ receive: (m) => void frames.push(m) }), { name: 'client' });
  const query = (source: number, extra: { targets?: number[]; maxDistance?: number; undirected?: boolean } = {}): Promise<SsspReply> =>
    ts.system.ask<SsspMsg, SsspReply>(sssp, (replyTo) => ({ type: 'sssp-query', source, ...extra, replyTo }), 5_000);
  const stats = (): Promise<SsspStats> => ts.system.ask<SsspMsg, SsspStats>(sssp, (replyTo) => ({ type: 'sssp-stats', replyTo }), 5_000);
  return { ...ts, sssp, client, frames, query, stats, subscribed };
}

test('subscribes to the topology and answers from its snapshot, tagged with its version', async (t) => {
  const { query, subscribed, system } = setup(t);
  await system.settled();
  t.is(subscribed.length, 1);
  const reply = await query(1, { targets: [4, 5] });
  t.true(reply.ok);
  if (!reply.ok) return;
  t.is(reply.result.version, 10);
  t.deepEqual(reply.paths, [
    { target: 4, distance: 4, nodes: [1, 2, 3, 4] },
    { target: 5, distance: Infinity, nodes: null },
  ]);
});

test('directed edges are followed one way; the undirected reading is built on first use, kept in step, and dropped when idle', async (t) => {
  // A one-way triangle 1 -> 2 -> 3 -> 1, and 3 - 4 both ways.
  const directed: TopologyChange = {
    type: 'reset',
    version: 10,
    nodes,
    edges: [
      { id: 1n, source: 1, target: 2, weight: 1, directed: true },
      { id: 2n, source: 2, target: 3, weight: 1, directed: true },
      { id: 3n, source: 3, target: 1, weight: 1, directed: true },
      { id: 4n, source: 3, target: 4, weight: 2 },
    ],
  };
  const { sssp, query, stats, system, advance } = setup(t, { undirectedIdleMs: 60_000 }, directed);
  await system.settled();
  const distance = async (source: number, target: number, undirected = false): Promise<number> => {
    const r = await query(source, { targets: [target], undirected });
    if (!r.ok) throw new Error(r.error.message);
    return r.paths[0]!.distance;
  };
  t.deepEqual([await distance(1, 3), await distance(2, 1), await distance(4, 2)], [2, 2, 4]);
  t.like(await stats(), { directedEdges: 3, undirectedCopy: false, undirectedBuilds: 0 }, 'nothing extra is built until someone asks');
  t.deepEqual([await distance(2, 1, true), await distance(4, 2, true)], [1, 3]);
  t.like(await stats(), { undirectedCopy: true, undirectedBuilds: 1 });
  // Changes reach both readings: an edge 5 -> 4, then turned around (as the topology publishes an upsert that turns it).
  sssp.tell({ type: 'edges-added', version: 11, edges: [{ id: 5n, source: 5, target: 4, weight: 1, directed: true }] });
  t.deepEqual([await distance(5, 1), await distance(1, 5), await distance(1, 5, true)], [4, Infinity, 4]);
  sssp.tell({ type: 'edges-removed', version: 12, ids: [5n] });
  sssp.tell({ type: 'edges-added', version: 12, edges: [{ id: 5n, source: 5, target: 4, weight: 1 }] });
  t.deepEqual([await distance(1, 5), await distance(1, 5, true)], [5, 4]);
  t.like(await stats(), { graphVersion: 12, directedEdges: 3, undirectedCopy: true, undirectedBuilds: 1 }, 'kept in step, not rebuilt');
  // Unused for the idle time: dropped; the next undirected query builds it again.
  await advance(30_000);
  t.deepEqual([await distance(2, 1, true)], [1]);
  await advance(59_000);
  t.like(await stats(), { undirectedCopy: true }, 'a query within the idle time keeps it');
  await advance(2_000);
  t.like(await stats(), { undirectedCopy: false, undirectedBuilds: 1 });
  t.is(await distance(2, 1, true), 1);
  t.like(await stats(), { undirectedCopy: true, undirectedBuilds: 2 });
  // A reset drops it too.
  sssp.tell({ ...directed, version: 13 });
  t.like(await stats(), { graphVersion: 13, undirectedCopy: false });
});

test('on a graph without directed edges the undirected reading is the graph itself: no copy', async (t) => {
  const { query, stats, system } = setup(t);
  await system.settled();
  const r = await query(4, { targets: [1], undirected: true });
  t.true(r.ok && r.paths[0]!.distance === 4);
  t.like(await stats(), { directedEdges: 0, undirectedCopy: false, undirectedBuilds: 0 });
});

test('streams a tree frame and a path frame per reached target to subscribers, in their encoding', async (t) => {
  const { sssp, client, frames, query, system } = setup(t);
  await system.settled(); // the snapshot is in
  sssp.tell({ type: 'sssp-subscribe', subscriber: client, encoding: 'f64' });
  await query(1, { targets: [4] });
  await system.settled();
  t.deepEqual(
    frames.map((f) => f.kind),
    ['tree', 'path'],
  );
  const tree = decodeSsspFrame(frames[0]!.bytes);
  const path = decodeSsspFrame(frames[1]!.bytes);
  t.true(tree.ok && path.ok);
  if (!tree.ok || !path.ok) return;
  t.deepEqual(Array.from(tree.value.ids), [1, 2, 3, 4]);
  t.deepEqual(Array.from(distancesOf(tree.value)), [0, 1, 2, 4]);
  t.deepEqual(Array.from(path.value.ids), [1, 2, 3, 4]);
  t.is(tree.value.graphVersion, 10);
  t.is(path.value.seq, tree.value.seq + 1);
  sssp.tell({ type: 'sssp-unsubscribe', subscriber: client });
  await query(2);
  await system.settled();
  t.is(frames.length, 2);
});

test('changes queued behind a query do not touch it; the next query sees them', async (t) => {
  const { sssp, query, system } = setup(t);
  await system.settled();
  const first = query(1, { targets: [5] });
  sssp.tell({ type: 'edges-added', version: 11, edges: [{ id: 9n, source: 4, target: 5, weight: 1 }] });
  const second = query(1, { targets: [5] });
  const [a, b] = await Promise.all([first, second]);
  t.true(a.ok && b.ok);
  if (!a.ok || !b.ok) return;
  t.is(a.result.version, 10);
  t.is(a.paths[0]!.distance, Infinity);
  t.is(b.result.version, 11);
  t.is(b.paths[0]!.distance, 5);
});

test('bad queries get clear errors', async (t) => {
  const { query, sssp, system, stats } = setup(t);
  await system.settled();
  const codes = [];
  for (const r of [await query(99), await query(1, { targets: [98] }), await query(1, { maxDistance: -2 })])
    codes.push(r.ok ? 'ok' : r.error.code);
  t.deepEqual(codes, ['unknown-source', 'unknown-target', 'bad-query']);
  sssp.tell({ type: 'edge-weights-changed', version: 11, edges: [{ id: 1n, weight: -1 }] });
  const neg = await query(1);
  t.is(neg.ok ? 'ok' : neg.error.code, 'negative-weight');
  t.is((await stats()).errors, 4);
});

test('a change that does not fit drops the graph and re-subscribes for a fresh reset', async (t) => {
  const { sssp, query, system, subscribed, stats } = setup(t);
  await system.settled();
  sssp.tell({ type: 'edges-added', version: 11, edges: [{ id: 1n, source: 1, target: 2, weight: 1 }] }); // id clash
  await system.settled();
  t.is(subscribed.length, 2);
  const s = await stats();
  t.is(s.resyncs, 1);
  t.is(s.graphVersion, 10, 'the fresh reset arrived');
  t.true((await query(1)).ok);
});

test('without a topology publisher it waits for a reset told to it: no-graph until then', async (t) => {
  const ts = testSystem(t);
  const sssp = ts.system.spawn(ssspActor({ gpu: 'off' }), { name: 'sssp' });
  const ask = (): Promise<SsspReply> =>
    ts.system.ask<SsspMsg, SsspReply>(sssp, (replyTo) => ({ type: 'sssp-query', source: 1, replyTo }), 5_000);
  const before = await ask();
  t.is(before.ok ? 'ok' : before.error.code, 'no-graph');
  sssp.tell(reset);
  t.true((await ask()).ok);
});

test('a big snapshot loads in slices: timers keep firing meanwhile, and changes told during it apply after it', async (t) => {
  const ts = testSystem(t);
  const sssp = ts.system.spawn(ssspActor({ gpu: 'off' }), { name: 'sssp' });
  const n = 200_000;
  const bigNodes = Array.from({ length: n }, (_, i) => ({ id: i + 1, kind: 'concept' as const }));
  const bigEdges = Array.from({ length: 2 * n }, (_, k) => ({
    id: BigInt(k),
    source: (k % n) + 1,
    target: ((k * 7919) % n) + 1,
    weight: 1,
  }));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  t.teardown(() => clearInterval(timer));
  sssp.tell({ type: 'reset', version: 20, nodes: bigNodes, edges: bigEdges });
  // Queued behind the snapshot: it must apply to the loaded graph, in order.
  sssp.tell({ type: 'edges-added', version: 21, edges: [{ id: BigInt(2 * n), source: 1, target: n, weight: 0.5 }] });
  const stats = await ts.system.ask<SsspMsg, SsspStats>(sssp, (replyTo) => ({ type: 'sssp-stats', replyTo }), 60_000);
  clearInterval(timer);
  t.is(stats.graphVersion, 21);
  t.is(stats.edges, 2 * n + 1);
  // Loaded in one go, the snapshot would hold the event loop from the tell to the reply: no tick.
  t.log(`${ticks} timer ticks while the snapshot loaded`);
  t.true(ticks >= 10, `${ticks} timer ticks while the snapshot loaded`);
  const reply = await ts.system.ask<SsspMsg, SsspReply>(
    sssp,
    (replyTo) => ({ type: 'sssp-query', source: 1, targets: [n], replyTo }),
    60_000,
  );
  t.true(reply.ok && reply.paths[0]!.distance === 0.5);
});

test('a failing GPU engine falls back to the CPU, and is dropped after repeated failures', async (t) => {
  let runs = 0;
  const flaky: SsspEngine = {
    kind: 'gpu',
    unavailable: undefined,
    run: () => {
      runs++;
      return Promise.resolve(failure('engine-failed', 'simulated device error'));
    },
    dispose: () => undefined,
  };
  const { query, stats, system } = setup(t, { gpu: 'auto', openGpu: () => Promise.resolve(flaky), gpuMinNodes: 1 });
  await system.settled();
  for (let i = 0; i < 4; i++) {
    const r = await query(1, { targets: [4] });
    t.true(r.ok);
    if (r.ok) t.is(r.result.engine, 'cpu');
  }
  const s = await stats();
  t.is(runs, 3);
  t.is(s.gpuFallbacks, 3);
  t.is(s.cpuRuns, 4);
  t.regex(s.gpu, /disabled after 3 failures/);
});

test('with no GPU the actor reports why and answers on the CPU', async (t) => {
  const { query, stats, system } = setup(t, { gpu: 'auto' });
  await system.settled();
  const r = await query(1);
  t.true(r.ok && r.result.engine === 'cpu');
  const s = await stats();
  t.is(s.gpuRuns, 0);
  t.log(`gpu: ${s.gpu}`);
  t.true(s.gpu.length > 0);
});

test('ssspChildren puts the actor under /app/compute', async (t) => {
  const { system } = testSystem(t);
  startApp(system, { failureSink: new InMemoryFailureSink(), children: { compute: ssspChildren({ gpu: 'off' }) } });
  await system.settled();
  t.true(system.tree('/app/compute').includes('/app/compute/sssp'));
  t.truthy(appSpec({ failureSink: new InMemoryFailureSink(), children: { compute: ssspChildren({ name: 'paths' }) } }));
});

test('frame subscribers survive a restart of the actor; one that stops is dropped', async (t) => {
  const { sssp, client, frames, query, stats, system, advance } = setup(t);
  await system.settled();
  sssp.tell({ type: 'sssp-subscribe', subscriber: client, encoding: 'f64' });
  await system.settled();
  system.faults.inject('/sssp', { kind: 'throw', times: 1 });
  sssp.tell({ type: 'sssp-stats', replyTo: client as unknown as Ref<SsspStats> }); // the faulted message: a crash, then a restart
  await advance(10_000);
  t.is((await stats()).subscribers, 1, 'the subscription outlived the restart');
  await query(1, { targets: [4] });
  await system.settled();
  t.deepEqual(
    frames.map((f) => f.kind),
    ['tree', 'path'],
    'and frames still reach it',
  );
  await system.stop(client);
  await system.settled();
  t.is((await stats()).subscribers, 0, 'a stopped subscriber is dropped (death watch)');
});

test('numbered changes: a late redelivery is skipped, a lost one makes it re-subscribe before answering again', async (t) => {
  const ts = testSystem(t);
  const publisher = fakeTopologyPublisher(ts.system, { ...reset, seq: 20 });
  const topology = publisher.ref;
  const sssp = ts.system.spawn(ssspActor({ topology, gpu: 'off' }), { name: 'sssp' });
  const query = (): Promise<SsspReply> =>
    ts.system.ask<SsspMsg, SsspReply>(sssp, (replyTo) => ({ type: 'sssp-query', source: 1, targets: [5], replyTo }), 5_000);
  const stats = (): Promise<SsspStats> => ts.system.ask<SsspMsg, SsspStats>(sssp, (replyTo) => ({ type: 'sssp-stats', replyTo }), 5_000);
  await ts.system.settled();
  const edge45: TopologyChange = { type: 'edges-added', version: 11, seq: 21, edges: [{ id: 9n, source: 4, target: 5, weight: 1 }] };
  sssp.tell(edge45);
  sssp.tell(edge45); // redelivered late (say, by the dead-letter retry): already in the copy
  const first = await query();
  t.true(first.ok && first.paths[0]!.distance === 5 && first.result.version === 11);
  t.is((await stats()).resyncs, 0, 'the duplicate did not count as a clash');

  // seq 22 (the 4-5 edge's removal) is lost; 23 arrives. Answering now would use a graph that never was.
  publisher.published = { type: 'reset', version: 13, seq: 23, nodes, edges: [...edges, { id: 10n, source: 1, target: 5, weight: 9 }] };
  sssp.tell({ type: 'edges-added', version: 13, seq: 23, edges: [{ id: 10n, source: 1, target: 5, weight: 9 }] });
  const meanwhile = await query();
  t.is(meanwhile.ok ? 'ok' : meanwhile.error.code, 'no-graph', 'no answer from a copy known to be wrong');
  await ts.system.settled();
  const after = await query();
  t.true(after.ok);
  if (!after.ok) return;
  t.is(after.result.version, 13, 'answered from the fresh reset');
  t.is(after.paths[0]!.distance, 9, 'not 5: the lost removal of the 4-5 edge is in');
  t.is(publisher.subscriptions, 2);
  t.is((await stats()).resyncs, 1);
});

test('CPU queries run on a worker thread by default; a worker that fails hands them back to this thread', async (t) => {
  // The worker starts in the background; until it is up, queries run on this thread.
  const started = async (stats: () => Promise<SsspStats>): Promise<string> => {
    for (let i = 0; i < 500; i++) {
      const cpu = (await stats()).cpu;
      if (cpu !== 'opening') return cpu;
      await new Promise((r) => setTimeout(r, 20));
    }
    return 'still opening';
  };
  const { query, stats } = setup(t, { cpuWorker: 'auto' });
  t.is(await started(stats), 'worker thread');
  const onWorker = await query(1, { targets: [4] });
  t.true(onWorker.ok && onWorker.paths[0]!.distance === 4);

  const broken: SsspEngine = {
    kind: 'cpu',
    unavailable: undefined,
    run: async () => failure('engine-failed', 'worker exited with code 1'),
    dispose: () => undefined,
  };
  const fallback = setup(t, { cpuWorker: 'auto', openWorker: async () => broken });
  t.is(await started(fallback.stats), 'worker thread');
  const answered = await fallback.query(1, { targets: [4] });
  t.true(answered.ok && answered.paths[0]!.distance === 4, 'answered on this thread');
  t.regex((await fallback.stats()).cpu, /failed: worker exited/);
  const refused = setup(t, { cpuWorker: 'auto', openWorker: async () => Promise.reject(new Error('no threads here')) });
  t.regex(await started(refused.stats), /worker failed to start: no threads here/);
  t.true((await refused.query(1)).ok);
});
