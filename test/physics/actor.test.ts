// The physics actor on the virtual clock with the serial engine: it lays out what the topology
// stream brings, sleeps when settled and wakes on any change, releases dragged nodes after the pin
// timeout, eases parameter changes in, takes nodes and edges added and removed while it runs, sends
// frames at each subscriber's own rate, falls back to the next engine as a supervision decision, and
// asks for a fresh reset when a numbered topology change goes missing.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { physicsActor } from '../../src/actors/physics.ts';
import type { PhysicsFrame, PhysicsMsg, PhysicsStats, SetParamsReply } from '../../src/actors/physics-messages.ts';
import { serialCandidate } from '../../src/actors/physics-engines.ts';
import type { TopologyChange } from '../../src/graph/topology.ts';
import type { StepStats } from '../../src/physics/buffers.ts';
import { SerialEngine } from '../../src/physics/cpu/serial-engine.ts';
import type { PhysicsEngine } from '../../src/physics/engine.ts';
import { EngineSelector, type EngineCandidate } from '../../src/physics/engine-selector.ts';
import { barabasiAlbert, toTopology } from '../../src/physics/generators.ts';
import type { ParamsPatch } from '../../src/physics/params.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { computeSubsystem, physicsSupervision, startApp } from '../../src/supervisors/app-tree.ts';
import { InMemoryFailureSink } from '../../src/actors/permanent-failure-sink.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { fakeTopologyPublisher } from '../fixtures/topology-publisher.ts';
import { testSystem, type TestSystem } from '../helpers/system.ts';

interface Harness extends TestSystem {
  readonly physics: Ref<PhysicsMsg>;
  readonly frames: PhysicsFrame[];
  stats(): Promise<PhysicsStats>;
  setParams(patch: ParamsPatch): Promise<SetParamsReply>;
  subscribe(hz: number, velocities?: boolean): PhysicsFrame[];
}

function harness(t: ExecutionContext, candidates: readonly EngineCandidate[] = [serialCandidate], params: ParamsPatch = {}): Harness {
  const ts = testSystem(t);
  const selector = new EngineSelector(candidates, { failuresBeforeFallback: 3 });
  const physics = ts.system.spawn(physicsActor({ selector, params }), {
    name: 'physics',
    supervision: physicsSupervision(selector, { minMs: 0, maxMs: 0, randomFactor: 0 }),
  });
  const frames: PhysicsFrame[] = [];
  let subs = 0;
  return {
    ...ts,
    physics,
    frames,
    stats: () => ts.system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 1000),
    setParams: (patch) => ts.system.ask<PhysicsMsg, SetParamsReply>(physics, (replyTo) => ({ type: 'set-params', patch, replyTo }), 1000),
    subscribe(hz, velocities = false) {
      const got: PhysicsFrame[] = [];
      const ref = ts.system.spawn<PhysicsFrame>(() => ({ receive: (f) => void got.push(f) }), { name: `sub-${subs++}` });
      physics.tell({ type: 'subscribe-frames', subscriber: ref, hz, velocities });
      return got;
    },
  };
}

function graph(n: number, seed = 1): TopologyChange {
  const g = toTopology(barabasiAlbert(n, 2, mulberry32(seed)));
  return { type: 'reset', version: 1, nodes: g.nodes, edges: g.edges };
}

test('lays out the reset snapshot, then settles and sleeps (no more ticks)', async (t) => {
  const h = harness(t);
  h.physics.tell(graph(30));
  await h.advance(100);
  const early = await h.stats();
  t.is(early.nodes, 30);
  t.is(early.engine, 'cpu-serial');
  t.true(early.ticks > 0);
  await h.advance(60_000);
  const settled = await h.stats();
  t.true(settled.sleeping, `still awake after ${settled.ticks} ticks, max speed ${settled.maxSpeed}`);
  await h.advance(5_000);
  t.is((await h.stats()).ticks, settled.ticks, 'asleep: no ticks');
});

test('a layout that would drift at the temperature floor for good cools on after annealTicks, sleeps, and wakes hot', async (t) => {
  // At sleepDistance 1e-5 this graph still moves about 5e-4 a tick after two minutes at the floor.
  const drifting = harness(t, [serialCandidate], { sleepDistance: 1e-5, annealTicks: 0 });
  drifting.physics.tell(graph(30));
  await drifting.advance(120_000);
  const stillMoving = await drifting.stats();
  t.false(stillMoving.sleeping, 'without annealing it never settles');
  t.is(stillMoving.alpha, stillMoving.params.alphaMin);

  const h = harness(t, [serialCandidate], { sleepDistance: 1e-5, annealTicks: 300 });
  h.physics.tell(graph(30));
  await h.advance(120_000);
  const rested = await h.stats();
  t.true(rested.sleeping, `still awake after ${rested.ticks} ticks, max speed ${rested.maxSpeed}, alpha ${rested.alpha}`);
  t.true(rested.alpha < rested.params.alphaMin, 'it cooled on below the floor');
  // A change wakes it at full wake temperature, and the floor holds again for annealTicks.
  h.physics.tell({ type: 'set-params', patch: { repulsion: 13 } });
  await h.advance(1_000);
  const woken = await h.stats();
  t.false(woken.sleeping);
  t.true(woken.alpha > woken.params.alphaMin, `alpha ${woken.alpha} after waking`);
  await h.advance(120_000);
  t.true((await h.stats()).sleeping, 'and it comes to rest again');
});

test('any change wakes a sleeping layout: wake, params, topology, drag', async (t) => {
  const h = harness(t);
  h.physics.tell(graph(20));
  await h.advance(60_000);
  t.true((await h.stats()).sleeping);
  const wakers: PhysicsMsg[] = [
    { type: 'wake' },
    { type: 'set-params', patch: { repulsion: 13 } },
    { type: 'nodes-added', version: 2, nodes: [{ id: 500, kind: 'agent' }] },
    { type: 'drag', id: 3, position: { x: 40, y: 0, z: 0 } },
  ];
  for (const m of wakers) {
    await h.advance(60_000);
    const before = await h.stats();
    t.true(before.sleeping);
    h.physics.tell(m);
    await h.advance(50);
    const after = await h.stats();
    t.false(after.sleeping && after.ticks === before.ticks, `${m.type} did not wake it`);
    t.true(after.ticks > before.ticks, `${m.type}: no tick after waking`);
  }
});

test('a dragged node stays where it is dragged and is released after the pin timeout', async (t) => {
  const h = harness(t, [serialCandidate], { pinTimeoutMs: 2_000 });
  h.physics.tell(graph(40));
  await h.advance(500);
  const frames = h.subscribe(60);
  h.physics.tell({ type: 'drag', id: 7, position: { x: 100, y: 50, z: -20 } });
  await h.advance(1_000);
  t.deepEqual((await h.stats()).pinned, [7]);
  const at = (f: PhysicsFrame): number[] => {
    const i = Array.from(f.ids).indexOf(7);
    return [f.positions[3 * i]!, f.positions[3 * i + 1]!, f.positions[3 * i + 2]!];
  };
  t.deepEqual(at(frames.at(-1)!), [100, 50, -20]);
  // Dragging again re-arms the timeout.
  h.physics.tell({ type: 'drag', id: 7, position: { x: 90, y: 50, z: -20 } });
  await h.advance(1_500);
  t.deepEqual((await h.stats()).pinned, [7]);
  await h.advance(600);
  t.deepEqual((await h.stats()).pinned, []);
  await h.advance(500);
  t.notDeepEqual(at(frames.at(-1)!), [90, 50, -20], 'released: it moves again');
  // An explicit pin without timeout holds until unpinned.
  h.physics.tell({ type: 'pin', id: 8 });
  await h.advance(10_000);
  t.deepEqual((await h.stats()).pinned, [8]);
  h.physics.tell({ type: 'unpin', id: 8 });
  await h.advance(20);
  t.deepEqual((await h.stats()).pinned, []);
});

test('a parameter change is eased in over easeTicks ticks; an invalid one is refused', async (t) => {
  const h = harness(t, [serialCandidate], { easeTicks: 4, simHz: 50 });
  h.physics.tell(graph(10));
  await h.advance(100);
  const reply = await h.setParams({ repulsion: 20 });
  t.true(reply.ok);
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    seen.push((await h.stats()).params.repulsion);
    await h.advance(20);
  }
  t.deepEqual(seen, [12, 14, 16, 18, 20, 20]);
  const bad = await h.setParams({ damping: 2 });
  t.false(bad.ok);
  t.is((await h.stats()).targetParams.damping, 0.3);
});

test('nodes and edges added and removed while it runs are taken in; frames follow the epoch', async (t) => {
  const h = harness(t);
  h.physics.tell(graph(50));
  const frames = h.subscribe(30);
  await h.advance(200);
  const epoch0 = frames.at(-1)!.epoch;
  h.physics.tell({
    type: 'nodes-added',
    version: 2,
    nodes: Array.from({ length: 10 }, (_, i) => ({ id: 1000 + i, kind: 'knowledge' as const })),
  });
  h.physics.tell({
    type: 'edges-added',
    version: 3,
    edges: Array.from({ length: 10 }, (_, i) => ({ id: BigInt(5000 + i), source: 1000 + i, target: i, weight: 2 })),
  });
  await h.advance(200);
  h.physics.tell({ type: 'edges-removed', version: 4, ids: [5000n, 5001n] });
  h.physics.tell({ type: 'nodes-removed', version: 5, ids: [1000, 1001, 3] });
  h.physics.tell({ type: 'edge-weights-changed', version: 6, edges: [{ id: 5005n, weight: 1e9 }] });
  h.physics.tell({ type: 'nodes-moved', version: 7, nodes: [{ id: 4, position: { x: 1, y: 2, z: 3 } }] });
  await h.advance(500);
  const s = await h.stats();
  t.is(s.nodes, 57);
  const last = frames.at(-1)!;
  t.true(last.epoch > epoch0);
  t.is(last.ids.length, 57);
  t.false(Array.from(last.ids).includes(3));
  t.true(Array.from(last.positions).every(Number.isFinite));
});

test("frames go at each subscriber's own rate, only when the layout moved, velocities on request", async (t) => {
  const h = harness(t, [serialCandidate], { simHz: 120 });
  h.physics.tell(graph(30));
  await h.advance(10);
  const fast = h.subscribe(50, true);
  const slow = h.subscribe(10);
  await h.advance(0);
  t.is(fast.length, 1, 'a frame at once on subscribing');
  await h.advance(1_000);
  t.true(fast.length >= 45 && fast.length <= 52, `fast got ${fast.length}`);
  t.true(slow.length >= 9 && slow.length <= 12, `slow got ${slow.length}`);
  t.truthy(fast.at(-1)!.velocities);
  t.is(slow.at(-1)!.velocities, undefined);
  await h.advance(120_000);
  t.true((await h.stats()).sleeping);
  const count = fast.length;
  await h.advance(2_000);
  t.is(fast.length, count, 'nothing moves, nothing is sent');
});

test('a frame that falls due during a step shows that step once it is done, never the one before again', async (t) => {
  // Ticks and frames both at 60 Hz fall due at the same instants: every frame timer finds a step
  // in flight. Each frame must still carry a newer tick than the last, and keep up with the steps.
  const h = harness(t, [serialCandidate], { simHz: 60 });
  h.physics.tell(graph(30));
  await h.advance(50);
  const frames = h.subscribe(60);
  await h.advance(1_000);
  t.true(frames.length >= 55, `got ${frames.length} frames in a second`);
  for (let k = 1; k < frames.length; k++) {
    t.true(frames[k]!.tick > frames[k - 1]!.tick, `frame ${k} repeats tick ${frames[k]!.tick}`);
    t.notDeepEqual(frames[k]!.positions, frames[k - 1]!.positions);
  }
  t.true(frames.at(-1)!.tick >= (await h.stats()).ticks - 1, 'the last frame is the latest completed step');
});

/** An engine that fails every step (a GPU that keeps faulting). */
function failing(kind: 'cuda', failInit = false): EngineCandidate {
  return {
    kind,
    create: () => {
      if (failInit) throw new Error('no device');
      const engine: PhysicsEngine = {
        kind,
        description: 'always failing',
        step: (): Promise<StepStats> => Promise.reject(new Error('launch failed')),
        dispose: () => Promise.resolve(),
      };
      return engine;
    },
  };
}

test('an engine that fails K times in a row is replaced by the next (supervision), and the graph keeps moving', async (t) => {
  const h = harness(t, [failing('cuda'), serialCandidate]);
  h.physics.tell(graph(30));
  await h.advance(1_000);
  const s = await h.stats();
  t.is(s.engine, 'cpu-serial');
  t.is(s.fallbacks.length, 1);
  t.like(s.fallbacks[0], { from: 'cuda', to: 'cpu-serial', failures: 3 });
  t.true(s.ticks > 10);
  t.is(s.nodes, 30, 'the layout state survived the engine restarts');
});

test('an engine that cannot start is left at once', async (t) => {
  const h = harness(t, [failing('cuda', true), serialCandidate]);
  h.physics.tell(graph(10));
  await h.advance(200);
  const s = await h.stats();
  t.is(s.engine, 'cpu-serial');
  t.like(s.fallbacks[0], { from: 'cuda', failures: 1 });
});

test('injected faults in the engine child (system.faults) count as engine failures', async (t) => {
  let created = 0;
  const counting: EngineCandidate = {
    kind: 'cuda',
    create: () => {
      created++;
      return Object.assign(new SerialEngine(), { kind: 'cuda' as const });
    },
  };
  const h = harness(t, [counting, serialCandidate]);
  h.physics.tell(graph(10));
  await h.advance(100);
  h.system.faults.inject('/physics/engine', { kind: 'throw', times: 2 });
  await h.advance(200);
  let s = await h.stats();
  t.is(s.engine, 'cuda', 'two failures: retried, not replaced');
  t.is(created, 3);
  h.system.faults.inject('/physics/engine', { kind: 'throw', times: 3 });
  await h.advance(200);
  s = await h.stats();
  t.is(s.engine, 'cpu-serial');
  t.true(s.ticks > 0);
});

test('computeSubsystem puts the physics actor under /app/compute and it runs there', async (t) => {
  const h = testSystem(t);
  startApp(h.system, {
    failureSink: new InMemoryFailureSink(),
    children: { compute: computeSubsystem({ physics: { engines: 'serial' } }) },
  });
  await h.advance(10);
  const physics = h.system.lookup<PhysicsMsg>('/app/compute/physics');
  t.truthy(physics);
  t.truthy(h.system.lookup('/app/compute/physics/engine'));
  physics!.tell(graph(10));
  await h.advance(100);
  const s = await h.system.ask<PhysicsMsg, PhysicsStats>(physics!, (replyTo) => ({ type: 'stats', replyTo }), 1000);
  t.is(s.nodes, 10);
  t.true(s.ticks > 0);
});

test('frame subscribers outlive a restart of the physics actor; one that stops is dropped', async (t) => {
  const h = harness(t);
  h.physics.tell(graph(20));
  await h.advance(50);
  const frames = h.subscribe(60);
  await h.advance(100);
  t.true(frames.length > 0);
  // One injected failure: the actor restarts with an empty layout and gets the graph again.
  h.system.faults.inject('/physics', { kind: 'throw', times: 1 });
  h.physics.tell({ type: 'wake' });
  await h.advance(5_000);
  t.is((await h.stats()).subscribers, 1, 'the subscription outlived the restart');
  const before = frames.length;
  h.physics.tell(graph(20, 2));
  await h.advance(500);
  t.true(frames.length > before + 20, `${frames.length - before} frames after the restart`);
  t.is(frames.at(-1)!.ids.length, 20);
  await h.system.stop(h.system.lookup('/sub-0')!);
  await h.advance(100);
  t.is((await h.stats()).subscribers, 0, 'a stopped subscriber is dropped');
});

test('a lost topology change (a skipped number) makes it ask for a fresh reset; a late one is skipped', async (t) => {
  const ts = testSystem(t);
  const g = toTopology(barabasiAlbert(20, 2, mulberry32(3)));
  const publisher = fakeTopologyPublisher(ts.system, { type: 'reset', version: 1, seq: 1, nodes: g.nodes, edges: g.edges });
  const topology = publisher.ref;
  const selector = new EngineSelector([serialCandidate], { failuresBeforeFallback: 3 });
  const physics = ts.system.spawn(physicsActor({ selector, topology }), { name: 'physics' });
  const stats = () => ts.system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 1000);
  await ts.advance(10);
  t.is((await stats()).nodes, 20);
  const extra = (seq: number, id: number): TopologyChange => ({ type: 'nodes-added', version: seq, seq, nodes: [{ id, kind: 'task' }] });
  physics.tell(extra(2, 100));
  physics.tell(extra(2, 100)); // redelivered late: already applied
  await ts.advance(10);
  t.is((await stats()).nodes, 21);
  t.is(publisher.subscriptions, 1);
  // 3 (the removal of node 100, say) is lost; 4 arrives: the reset it asks for has the truth.
  publisher.published = { type: 'reset', version: 4, seq: 4, nodes: [...g.nodes, { id: 102, kind: 'task' }], edges: g.edges };
  physics.tell(extra(4, 102));
  await ts.advance(10);
  t.is(publisher.subscriptions, 2);
  t.is((await stats()).nodes, 21, 'node 100 gone, node 102 in: the graph as published');
});

test('an engine still being built when its actor is discarded is disposed of once built and never used: restarts leave one engine running', async (t) => {
  const built: { disposed: boolean }[] = [];
  const pending: (() => void)[] = [];
  const slow: EngineCandidate = {
    kind: 'cpu-serial',
    create: () =>
      new Promise<PhysicsEngine>((resolve) =>
        pending.push(() => {
          const engine = new SerialEngine();
          const record = { disposed: false };
          built.push(record);
          resolve(Object.assign(engine, { dispose: async () => void (record.disposed = true) }));
        }),
      ),
  };
  const h = harness(t, [slow]);
  h.physics.tell(graph(10));
  await h.advance(10);
  pending.shift()!();
  await h.advance(10);
  for (let i = 0; i < 5; i++) {
    h.system.faults.kill('/physics/engine');
    await h.advance(10);
    // Killed again while the new engine is still being built (its workers starting, say).
    h.system.faults.kill('/physics/engine');
    await h.advance(10);
    while (pending.length > 0) pending.shift()!();
    await h.advance(10);
  }
  t.is(built.length, 11);
  t.is(built.filter((e) => !e.disposed).length, 1, 'only the engine in use is left; the others were disposed of');
  t.true((await h.stats()).ticks > 0, 'and the layout moves on it');
});
