// The physics actor (/app/compute/physics): owns the layout (positions, velocities, pins,
// constraints), steps it continuously through its engine child, streams frames to subscribers at
// their own rates and sleeps when the layout has settled. Its messages: src/actors/physics-messages.ts;
// each kind has its handler below, over the actor's state record (PhysicsState).
//
// Time: a periodic 'tick' at params.simHz starts a step unless one is running; a step resolves in
// the engine child ('step-done') without ever blocking this actor, so stats, params and frames are
// served meanwhile. Changes that touch the arrays (topology, pins, constraints) wait in a queue
// while a step runs and apply as soon as it ends. Every change wakes the layout; a layout in which
// no node moved farther than params.sleepDistance for params.sleepTicks ticks sleeps (no timer).
// One still moving after params.annealTicks ticks at the temperature floor cools on below the
// floor until it does (SNAP's ego-Facebook, 4k nodes and 88k edges, drifts at the floor for good).
import { ChangeSequence } from '../graph/change-sequence.ts';
import type { TopologyChange, TopologySubscription } from '../graph/topology.ts';
import { stepGlobals } from '../physics/buffers.ts';
import type { EngineKind } from '../physics/engine.ts';
import type { EngineSelector } from '../physics/engine-selector.ts';
import { Layout, type LayoutSnapshot } from '../physics/layout.ts';
import { DEFAULT_PARAMS, applyPatch, ParamEaser, type ParamsPatch, type PhysicsParams } from '../physics/params.ts';
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { physicsEngineActor } from './physics-engine.ts';
import type { EngineStep, PhysicsCommand, PhysicsFrame, PhysicsMsg, PhysicsStats } from './physics-messages.ts';
import { Subscriptions } from './subscriptions.ts';

export interface PhysicsActorOptions {
  readonly selector: EngineSelector;
  /** Changes to the default parameters at start. */
  readonly params?: ParamsPatch;
  /** A topology publisher to subscribe to at start (the physics actor takes TopologyChange messages). */
  readonly topology?: Ref<TopologySubscription>;
  /** Frame rate of a subscriber that names none. */
  readonly defaultFrameHz?: number;
  /** Most frame subscribers (default 10,000); more are refused. */
  readonly maxSubscribers?: number;
}

/** Its name under /app/compute, and its engine child's name (the application tree, src/supervisors/app-tree.ts). */
export const PHYSICS_NAME = 'physics';
export const PHYSICS_ENGINE_NAME = 'engine';

interface Subscriber {
  readonly ref: Ref<PhysicsFrame>;
  readonly hz: number;
  readonly velocities: boolean;
  lastVersion: number;
  /** Its frame fell due while a step was writing the arrays: it gets one when the step is done. */
  due: boolean;
}

/** Which messages change the arrays a step writes: while a step runs, they wait for its end. */
const MUTATING: Readonly<Record<PhysicsMsg['type'], boolean>> = {
  reset: true,
  'nodes-added': true,
  'nodes-removed': true,
  'nodes-moved': true,
  'edges-added': true,
  'edges-removed': true,
  'edge-weights-changed': true,
  pin: true,
  unpin: true,
  drag: true,
  release: true,
  'set-position-constraint': true,
  'set-distance-constraint': true,
  'remove-distance-constraint': true,
  'set-params': false,
  'subscribe-frames': false,
  'unsubscribe-frames': false,
  wake: false,
  stats: false,
  tick: false,
  frames: false,
  'subscriber-gone': false,
  'engine-ready': false,
  'step-done': false,
};

export function physicsActor(options: PhysicsActorOptions): ActorFactory<PhysicsMsg> {
  // Frame subscribers outlive a restart of the actor: the frame relay that feeds every viewer
  // subscribed once and never hears of one.
  const subscribers = new Subscriptions<Subscriber>(options.maxSubscribers ?? 10_000);
  return (ctx) => {
    const s = newPhysicsState(ctx, options, subscribers);
    return { preStart: () => preStart(s), postStop: () => postStop(s), receive: (m) => receive(s, m) };
  };
}

/** Everything one incarnation of the physics actor holds (the frame subscribers outlive it). */
interface PhysicsState {
  readonly ctx: ActorContext<PhysicsMsg>;
  readonly options: PhysicsActorOptions;
  readonly subscribers: Subscriptions<Subscriber>;
  readonly layout: Layout;
  readonly easer: ParamEaser;
  engine: Ref<EngineStep> | undefined;
  engineKind: EngineKind | 'none';
  engineDescription: string;
  /** The seq of the step the engine is running; 0 when none. */
  inFlight: number;
  seq: number;
  missedTick: boolean;
  /** Changes to the arrays that arrived while a step ran (see MUTATING). */
  readonly deferred: PhysicsMsg[];
  alpha: number;
  sleeping: boolean;
  /** Ticks since the temperature reached its floor (see onStepDone). */
  floorTicks: number;
  calmTicks: number;
  ticks: number;
  tickHz: number;
  maxSpeed: number;
  readonly stepMs: number[];
  /** Bumped whenever positions change (a step, a move): frames are sent only for new versions. */
  version: number;
  /** Where this actor is in the topology's numbered changes. */
  readonly sequence: ChangeSequence;
  snapshotCache: LayoutSnapshot | undefined;
  snapshotVersion: number;
  readonly pinTokens: Map<number, number>;
  nextToken: number;
}

function newPhysicsState(
  ctx: ActorContext<PhysicsMsg>,
  options: PhysicsActorOptions,
  subscribers: Subscriptions<Subscriber>,
): PhysicsState {
  const easer = new ParamEaser(applyPatch(DEFAULT_PARAMS, options.params ?? {}));
  return {
    ctx,
    options,
    subscribers,
    easer,
    layout: new Layout(() => ctx.system.random(), easer.active.knowledge.springLength),
    engine: undefined,
    engineKind: 'none',
    engineDescription: 'starting',
    inFlight: 0,
    seq: 0,
    missedTick: false,
    deferred: [],
    alpha: 1,
    sleeping: false,
    floorTicks: 0,
    calmTicks: 0,
    ticks: 0,
    tickHz: 0,
    maxSpeed: 0,
    stepMs: [],
    version: 0,
    sequence: new ChangeSequence(),
    snapshotCache: undefined,
    snapshotVersion: -1,
    pinTokens: new Map(),
    nextToken: 1,
  };
}

function preStart(s: PhysicsState): void {
  const ctx = s.ctx;
  s.engine = ctx.spawn(physicsEngineActor(s.options.selector, ctx.self), {
    name: PHYSICS_ENGINE_NAME,
    mailbox: { capacity: 4, overflow: 'reject' },
  });
  s.options.topology?.tell({ type: 'subscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
  scheduleTicks(s);
  // Subscribers from before a restart: watched again, their timers back, and nothing sent until
  // this incarnation's layout has moved (no empty frame while the topology comes back).
  s.subscribers.rewatch(ctx, (ref): PhysicsMsg => ({ type: 'subscriber-gone', path: ref.path }));
  for (const sub of s.subscribers.values()) {
    sub.lastVersion = s.version;
    sub.due = false;
  }
  for (const hz of new Set([...s.subscribers.values()].map((sub) => sub.hz))) {
    ctx.schedulePeriodic(`frames:${hz}`, 1000 / hz, { type: 'frames', hz });
  }
}

function postStop(s: PhysicsState): void {
  s.options.topology?.tell({ type: 'unsubscribe-topology', subscriber: s.ctx.self as Ref<TopologyChange> });
}

function receive(s: PhysicsState, m: PhysicsMsg): void {
  if (s.inFlight !== 0 && MUTATING[m.type]) {
    s.deferred.push(m);
    return;
  }
  handle(s, m);
}

function paramsOf(s: PhysicsState): PhysicsParams {
  return s.easer.active;
}

function handle(s: PhysicsState, m: PhysicsMsg): void {
  switch (m.type) {
    case 'tick':
      return onTick(s);
    case 'step-done':
      return onStepDone(s, m.seq, m.stats);
    case 'engine-ready':
      // A fresh engine child: whatever step the old one had is lost; carry on.
      s.engineKind = m.engine;
      s.engineDescription = m.description;
      finishStep(s);
      sendDueFrames(s);
      if (!s.sleeping) startStep(s);
      return;
    case 'frames':
      return sendFrames(s, m.hz);
    case 'release':
      if (s.pinTokens.get(m.id) === m.token) {
        s.pinTokens.delete(m.id);
        s.layout.unpin(m.id);
        changed(s);
      }
      return;
    case 'subscriber-gone':
      return unsubscribe(s, m.path);
    case 'reset':
    case 'nodes-added':
    case 'nodes-removed':
    case 'nodes-moved':
    case 'edges-added':
    case 'edges-removed':
    case 'edge-weights-changed':
      return applyTopology(s, m);
    default:
      return command(s, m);
  }
}

function command(s: PhysicsState, m: PhysicsCommand): void {
  switch (m.type) {
    case 'set-params': {
      try {
        const params = s.easer.set(m.patch);
        s.layout.placementScale = params.knowledge.springLength;
        if (params.simHz !== s.tickHz && !s.sleeping) scheduleTicks(s);
        m.replyTo?.tell({ ok: true, params });
        wake(s);
      } catch (error) {
        m.replyTo?.tell({ ok: false, error: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    case 'pin':
      if (s.layout.pin(m.id, m.position)) {
        s.pinTokens.delete(m.id);
        if (m.timeoutMs !== undefined) releaseLater(s, m.id, m.timeoutMs);
        changed(s);
      }
      return;
    case 'drag':
      if (s.layout.pin(m.id, m.position)) {
        releaseLater(s, m.id, paramsOf(s).pinTimeoutMs);
        changed(s);
      }
      return;
    case 'unpin':
      s.pinTokens.delete(m.id);
      if (s.layout.unpin(m.id)) changed(s);
      return;
    case 'set-position-constraint':
      s.layout.setPositionConstraint(m.id, m.constraint);
      return changed(s);
    case 'set-distance-constraint':
      s.layout.setDistanceConstraint(m.constraint);
      return changed(s);
    case 'remove-distance-constraint':
      s.layout.removeDistanceConstraint(m.id);
      return changed(s);
    case 'subscribe-frames':
      return subscribe(s, m.subscriber, m.hz ?? s.options.defaultFrameHz ?? 60, m.velocities ?? false);
    case 'unsubscribe-frames':
      return unsubscribe(s, m.subscriber.path);
    case 'wake':
      return wake(s);
    case 'stats':
      m.replyTo.tell(stats(s));
      return;
    default:
      return unreachable(m);
  }
}

function applyTopology(s: PhysicsState, c: TopologyChange): void {
  const verdict = s.sequence.accept(c);
  if (verdict === 'skip') return;
  if (verdict === 'gap') {
    // A change went missing (a full mailbox): the layout would hold nodes the graph lost or lack
    // ones it gained. A fresh reset puts it right; the positions of nodes it keeps stay.
    s.options.topology?.tell({ type: 'subscribe-topology', subscriber: s.ctx.self as Ref<TopologyChange> });
    return;
  }
  const layout = s.layout;
  switch (c.type) {
    case 'reset': {
      const keep = new Set(c.nodes.map((n) => n.id));
      layout.removeNodes(layout.nodeIds().filter((id) => !keep.has(id)));
      layout.addNodes(c.nodes);
      layout.replaceEdges(c.edges);
      break;
    }
    case 'nodes-added':
      layout.addNodes(c.nodes);
      break;
    case 'nodes-removed':
      for (const id of c.ids) s.pinTokens.delete(id);
      layout.removeNodes(c.ids);
      break;
    case 'nodes-moved':
      layout.moveNodes(c.nodes);
      break;
    case 'edges-added':
      layout.addEdges(c.edges);
      break;
    case 'edges-removed':
      layout.removeEdges(c.ids);
      break;
    case 'edge-weights-changed':
      layout.setWeights(c.edges);
      break;
    default:
      return unreachable(c);
  }
  changed(s);
}

// ---- stepping -----------------------------------------------------------------------------------

function scheduleTicks(s: PhysicsState): void {
  s.tickHz = paramsOf(s).simHz;
  s.ctx.schedulePeriodic('tick', 1000 / s.tickHz, { type: 'tick' });
}

function onTick(s: PhysicsState): void {
  if (s.sleeping) return;
  if (s.inFlight !== 0 || s.engineKind === 'none') {
    s.missedTick = true;
    return;
  }
  startStep(s);
}

function startStep(s: PhysicsState): void {
  if (s.engine === undefined || s.inFlight !== 0 || s.engineKind === 'none') return;
  s.missedTick = false;
  if (s.easer.tick()) s.layout.placementScale = paramsOf(s).knowledge.springLength;
  const p = paramsOf(s);
  const buffers = s.layout.prepare(p);
  const globals = stepGlobals(p, s.layout.n, s.alpha);
  s.inFlight = ++s.seq;
  s.engine.tell({
    type: 'step',
    seq: s.inFlight,
    buffers,
    globals,
    versions: { structure: s.layout.structureVersion, positions: s.layout.positionsVersion },
  });
}

function onStepDone(s: PhysicsState, seq: number, step: { maxSpeed: number; ms: number }): void {
  if (seq !== s.inFlight) return;
  const p = paramsOf(s);
  s.ticks++;
  s.version++;
  s.maxSpeed = step.maxSpeed;
  s.stepMs.push(step.ms);
  if (s.stepMs.length > 60) s.stepMs.shift();
  // At the floor for annealTicks and still not asleep: cool on below it, so that a layout that
  // would drift for ever (a big dense graph converges very slowly) comes to rest.
  const annealing = p.annealTicks > 0 && s.floorTicks >= p.annealTicks;
  s.alpha = Math.max(annealing ? 0 : p.alphaMin, s.alpha * (1 - p.cooling));
  if (s.alpha <= p.alphaMin) s.floorTicks++;
  const calm = step.maxSpeed * p.timeStep <= p.sleepDistance && !s.easer.easing;
  s.calmTicks = calm ? s.calmTicks + 1 : 0;
  finishStep(s);
  sendDueFrames(s);
  if (s.calmTicks >= p.sleepTicks && s.deferred.length === 0 && !s.sleeping) sleep(s);
  if (s.missedTick && !s.sleeping) startStep(s);
}

/** The step is over (done or lost): apply what waited for it. */
function finishStep(s: PhysicsState): void {
  s.inFlight = 0;
  const waiting = s.deferred.splice(0);
  for (const m of waiting) handle(s, m);
}

function sleep(s: PhysicsState): void {
  s.sleeping = true;
  s.ctx.cancelTimer('tick');
}

/** Something changed: positions to send, and a layout that must move again. */
function changed(s: PhysicsState): void {
  s.version++;
  wake(s);
}

function wake(s: PhysicsState): void {
  s.calmTicks = 0;
  s.floorTicks = 0;
  s.alpha = Math.max(s.alpha, paramsOf(s).wakeAlpha);
  if (!s.sleeping) return;
  s.sleeping = false;
  scheduleTicks(s);
  startStep(s);
}

function releaseLater(s: PhysicsState, id: number, delayMs: number): void {
  const token = s.nextToken++;
  s.pinTokens.set(id, token);
  s.ctx.scheduleOnce(delayMs, { type: 'release', id, token });
}

// ---- frames ---------------------------------------------------------------------------------------

function subscribe(s: PhysicsState, ref: Ref<PhysicsFrame>, hz: number, velocities: boolean): void {
  if (!(hz > 0 && hz <= 1000)) hz = 60;
  unsubscribe(s, ref.path);
  const sub: Subscriber = { ref, hz, velocities, lastVersion: -1, due: false };
  if (!s.subscribers.add(s.ctx, sub, { type: 'subscriber-gone', path: ref.path })) return;
  if (![...s.subscribers.values()].some((s) => s !== sub && s.hz === hz)) {
    s.ctx.schedulePeriodic(`frames:${hz}`, 1000 / hz, { type: 'frames', hz });
  }
  sendFrame(s, sub);
}

function unsubscribe(s: PhysicsState, path: string): void {
  const sub = s.subscribers.get(path);
  if (sub === undefined) return;
  s.subscribers.delete({ path });
  try {
    s.ctx.unwatch(sub.ref);
  } catch {
    // not watched
  }
  if (![...s.subscribers.values()].some((s) => s.hz === sub.hz)) s.ctx.cancelTimer(`frames:${sub.hz}`);
}

/**
 * Subscribers whose frame fell due during a step (new ones included) get it once the step is
 * over, so a frame always shows the latest completed step rather than repeating the one before.
 */
function sendDueFrames(s: PhysicsState): void {
  for (const sub of s.subscribers.values()) if (sub.due) sendFrame(s, sub);
}

function sendFrames(s: PhysicsState, hz: number): void {
  for (const sub of s.subscribers.values()) {
    if (sub.hz !== hz) continue;
    if (sub.lastVersion !== s.version) sendFrame(s, sub);
    // Nothing new yet but a step is coming: its result is this period's frame. (Waiting for the
    // next timer instead would halve the rate whenever frames and steps share a period.)
    else if (!s.sleeping) sub.due = true;
  }
}

function sendFrame(s: PhysicsState, sub: Subscriber): void {
  // A step in flight is writing the arrays: a snapshot of the latest completed state goes out now
  // if one was taken; otherwise the frame waits for the end of the step (onStepDone).
  if (s.inFlight !== 0 && s.snapshotVersion !== s.version) {
    sub.due = true;
    return;
  }
  sub.due = false;
  if (s.snapshotVersion !== s.version) {
    s.snapshotCache = s.layout.snapshot(s.ticks);
    s.snapshotVersion = s.version;
  }
  const snap = s.snapshotCache!;
  sub.lastVersion = s.snapshotVersion;
  sub.ref.tell(
    sub.velocities
      ? { type: 'frame', epoch: snap.epoch, tick: snap.tick, ids: snap.ids, positions: snap.positions, velocities: snap.velocities }
      : { type: 'frame', epoch: snap.epoch, tick: snap.tick, ids: snap.ids, positions: snap.positions },
    s.ctx.self,
  );
}

function stats(s: PhysicsState): PhysicsStats {
  const mean = s.stepMs.length === 0 ? 0 : s.stepMs.reduce((a, b) => a + b, 0) / s.stepMs.length;
  return {
    engine: s.engineKind,
    engineDescription: s.engineDescription,
    fallbacks: [...s.options.selector.history],
    nodes: s.layout.n,
    edges: s.layout.edgeCount,
    springs: s.layout.springs,
    epoch: s.layout.epoch,
    ticks: s.ticks,
    alpha: s.alpha,
    sleeping: s.sleeping,
    maxSpeed: s.maxSpeed,
    lastStepMs: s.stepMs.at(-1) ?? 0,
    meanStepMs: mean,
    pinned: s.layout.pinnedIds(),
    subscribers: s.subscribers.size,
    params: paramsOf(s),
    targetParams: s.easer.target,
  };
}

function unreachable(value: never): never {
  throw new Error(`physics: unhandled message ${String((value as { type?: unknown }).type)}`);
}
