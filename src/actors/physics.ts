// The physics actor (/app/compute/physics): owns the layout (positions, velocities, pins,
// constraints), steps it continuously through its engine child, streams frames to subscribers at
// their own rates and sleeps when the layout has settled. Its messages: src/actors/physics-messages.ts.
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

const MUTATING = new Set<string>([
  'reset',
  'nodes-added',
  'nodes-removed',
  'nodes-moved',
  'edges-added',
  'edges-removed',
  'edge-weights-changed',
  'pin',
  'unpin',
  'drag',
  'release',
  'set-position-constraint',
  'set-distance-constraint',
  'remove-distance-constraint',
]);

export function physicsActor(options: PhysicsActorOptions): ActorFactory<PhysicsMsg> {
  // Frame subscribers outlive a restart of the actor: the frame relay that feeds every viewer
  // subscribed once and never hears of one.
  const subscribers = new Subscriptions<Subscriber>(options.maxSubscribers ?? 10_000);
  return (ctx) => new PhysicsActorState(ctx, options, subscribers);
}

class PhysicsActorState {
  private readonly layout: Layout;
  private readonly easer: ParamEaser;
  private engine: Ref<EngineStep> | undefined;
  private engineKind: EngineKind | 'none' = 'none';
  private engineDescription = 'starting';
  private inFlight = 0;
  private seq = 0;
  private missedTick = false;
  private readonly deferred: PhysicsMsg[] = [];
  private alpha = 1;
  private sleeping = false;
  /** Ticks since the temperature reached its floor (see onStepDone). */
  private floorTicks = 0;
  private calmTicks = 0;
  private ticks = 0;
  private tickHz = 0;
  private maxSpeed = 0;
  private readonly stepMs: number[] = [];
  /** Bumped whenever positions change (a step, a move): frames are sent only for new versions. */
  private version = 0;
  /** Where this actor is in the topology's numbered changes. */
  private readonly sequence = new ChangeSequence();
  private snapshotCache: LayoutSnapshot | undefined;
  private snapshotVersion = -1;
  private readonly pinTokens = new Map<number, number>();
  private nextToken = 1;

  constructor(
    private readonly ctx: ActorContext<PhysicsMsg>,
    private readonly options: PhysicsActorOptions,
    private readonly subscribers: Subscriptions<Subscriber>,
  ) {
    this.easer = new ParamEaser(applyPatch(DEFAULT_PARAMS, options.params ?? {}));
    this.layout = new Layout(() => ctx.system.random(), this.easer.active.knowledge.springLength);
  }

  preStart(): void {
    const ctx = this.ctx;
    this.engine = ctx.spawn(physicsEngineActor(this.options.selector, ctx.self), {
      name: 'engine',
      mailbox: { capacity: 4, overflow: 'reject' },
    });
    this.options.topology?.tell({ type: 'subscribe-topology', subscriber: ctx.self as Ref<TopologyChange> });
    this.scheduleTicks();
    // Subscribers from before a restart: watched again, their timers back, and nothing sent until
    // this incarnation's layout has moved (no empty frame while the topology comes back).
    this.subscribers.rewatch(ctx, (ref): PhysicsMsg => ({ type: 'subscriber-gone', path: ref.path }));
    for (const sub of this.subscribers.values()) {
      sub.lastVersion = this.version;
      sub.due = false;
    }
    for (const hz of new Set([...this.subscribers.values()].map((s) => s.hz))) {
      ctx.schedulePeriodic(`frames:${hz}`, 1000 / hz, { type: 'frames', hz });
    }
  }

  postStop(): void {
    this.options.topology?.tell({ type: 'unsubscribe-topology', subscriber: this.ctx.self as Ref<TopologyChange> });
  }

  receive(m: PhysicsMsg): void {
    if (this.inFlight !== 0 && MUTATING.has(m.type)) {
      this.deferred.push(m);
      return;
    }
    this.handle(m);
  }

  private get params(): PhysicsParams {
    return this.easer.active;
  }

  private handle(m: PhysicsMsg): void {
    switch (m.type) {
      case 'tick':
        return this.onTick();
      case 'step-done':
        return this.onStepDone(m.seq, m.stats);
      case 'engine-ready':
        // A fresh engine child: whatever step the old one had is lost; carry on.
        this.engineKind = m.engine;
        this.engineDescription = m.description;
        this.finishStep();
        this.sendDueFrames();
        if (!this.sleeping) this.startStep();
        return;
      case 'frames':
        return this.sendFrames(m.hz);
      case 'release':
        if (this.pinTokens.get(m.id) === m.token) {
          this.pinTokens.delete(m.id);
          this.layout.unpin(m.id);
          this.changed();
        }
        return;
      case 'subscriber-gone':
        return this.unsubscribe(m.path);
      default:
        if ('version' in m) return this.applyTopology(m);
        return this.command(m);
    }
  }

  private command(m: PhysicsCommand): void {
    switch (m.type) {
      case 'set-params': {
        try {
          const params = this.easer.set(m.patch);
          this.layout.placementScale = params.knowledge.springLength;
          if (params.simHz !== this.tickHz && !this.sleeping) this.scheduleTicks();
          m.replyTo?.tell({ ok: true, params });
          this.wake();
        } catch (error) {
          m.replyTo?.tell({ ok: false, error: error instanceof Error ? error.message : String(error) });
        }
        return;
      }
      case 'pin':
        if (this.layout.pin(m.id, m.position)) {
          this.pinTokens.delete(m.id);
          if (m.timeoutMs !== undefined) this.releaseLater(m.id, m.timeoutMs);
          this.changed();
        }
        return;
      case 'drag':
        if (this.layout.pin(m.id, m.position)) {
          this.releaseLater(m.id, this.params.pinTimeoutMs);
          this.changed();
        }
        return;
      case 'unpin':
        this.pinTokens.delete(m.id);
        if (this.layout.unpin(m.id)) this.changed();
        return;
      case 'set-position-constraint':
        this.layout.setPositionConstraint(m.id, m.constraint);
        return this.changed();
      case 'set-distance-constraint':
        this.layout.setDistanceConstraint(m.constraint);
        return this.changed();
      case 'remove-distance-constraint':
        this.layout.removeDistanceConstraint(m.id);
        return this.changed();
      case 'subscribe-frames':
        return this.subscribe(m.subscriber, m.hz ?? this.options.defaultFrameHz ?? 60, m.velocities ?? false);
      case 'unsubscribe-frames':
        return this.unsubscribe(m.subscriber.path);
      case 'wake':
        return this.wake();
      case 'stats':
        m.replyTo.tell(this.stats());
        return;
    }
  }

  private applyTopology(c: TopologyChange): void {
    const verdict = this.sequence.accept(c);
    if (verdict === 'skip') return;
    if (verdict === 'gap') {
      // A change went missing (a full mailbox): the layout would hold nodes the graph lost or lack
      // ones it gained. A fresh reset puts it right; the positions of nodes it keeps stay.
      this.options.topology?.tell({ type: 'subscribe-topology', subscriber: this.ctx.self as Ref<TopologyChange> });
      return;
    }
    const layout = this.layout;
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
        for (const id of c.ids) this.pinTokens.delete(id);
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
    }
    this.changed();
  }

  // ---- stepping -----------------------------------------------------------------------------------

  private scheduleTicks(): void {
    this.tickHz = this.params.simHz;
    this.ctx.schedulePeriodic('tick', 1000 / this.tickHz, { type: 'tick' });
  }

  private onTick(): void {
    if (this.sleeping) return;
    if (this.inFlight !== 0 || this.engineKind === 'none') {
      this.missedTick = true;
      return;
    }
    this.startStep();
  }

  private startStep(): void {
    if (this.engine === undefined || this.inFlight !== 0 || this.engineKind === 'none') return;
    this.missedTick = false;
    if (this.easer.tick()) this.layout.placementScale = this.params.knowledge.springLength;
    const p = this.params;
    const buffers = this.layout.prepare(p);
    const globals = stepGlobals(p, this.layout.n, this.alpha);
    this.inFlight = ++this.seq;
    this.engine.tell({
      type: 'step',
      seq: this.inFlight,
      buffers,
      globals,
      versions: { structure: this.layout.structureVersion, positions: this.layout.positionsVersion },
    });
  }

  private onStepDone(seq: number, s: { maxSpeed: number; ms: number }): void {
    if (seq !== this.inFlight) return;
    const p = this.params;
    this.ticks++;
    this.version++;
    this.maxSpeed = s.maxSpeed;
    this.stepMs.push(s.ms);
    if (this.stepMs.length > 60) this.stepMs.shift();
    // At the floor for annealTicks and still not asleep: cool on below it, so that a layout that
    // would drift for ever (a big dense graph converges very slowly) comes to rest.
    const annealing = p.annealTicks > 0 && this.floorTicks >= p.annealTicks;
    this.alpha = Math.max(annealing ? 0 : p.alphaMin, this.alpha * (1 - p.cooling));
    if (this.alpha <= p.alphaMin) this.floorTicks++;
    const calm = s.maxSpeed * p.timeStep <= p.sleepDistance && !this.easer.easing;
    this.calmTicks = calm ? this.calmTicks + 1 : 0;
    this.finishStep();
    this.sendDueFrames();
    if (this.calmTicks >= p.sleepTicks && this.deferred.length === 0 && !this.sleeping) this.sleep();
    if (this.missedTick && !this.sleeping) this.startStep();
  }

  /** The step is over (done or lost): apply what waited for it. */
  private finishStep(): void {
    this.inFlight = 0;
    const waiting = this.deferred.splice(0);
    for (const m of waiting) this.handle(m);
  }

  private sleep(): void {
    this.sleeping = true;
    this.ctx.cancelTimer('tick');
  }

  /** Something changed: positions to send, and a layout that must move again. */
  private changed(): void {
    this.version++;
    this.wake();
  }

  private wake(): void {
    this.calmTicks = 0;
    this.floorTicks = 0;
    this.alpha = Math.max(this.alpha, this.params.wakeAlpha);
    if (!this.sleeping) return;
    this.sleeping = false;
    this.scheduleTicks();
    this.startStep();
  }

  private releaseLater(id: number, delayMs: number): void {
    const token = this.nextToken++;
    this.pinTokens.set(id, token);
    this.ctx.scheduleOnce(delayMs, { type: 'release', id, token });
  }

  // ---- frames ---------------------------------------------------------------------------------------

  private subscribe(ref: Ref<PhysicsFrame>, hz: number, velocities: boolean): void {
    if (!(hz > 0 && hz <= 1000)) hz = 60;
    this.unsubscribe(ref.path);
    const sub: Subscriber = { ref, hz, velocities, lastVersion: -1, due: false };
    if (!this.subscribers.add(this.ctx, sub, { type: 'subscriber-gone', path: ref.path })) return;
    if (![...this.subscribers.values()].some((s) => s !== sub && s.hz === hz)) {
      this.ctx.schedulePeriodic(`frames:${hz}`, 1000 / hz, { type: 'frames', hz });
    }
    this.sendFrame(sub);
  }

  private unsubscribe(path: string): void {
    const sub = this.subscribers.get(path);
    if (sub === undefined) return;
    this.subscribers.delete({ path });
    try {
      this.ctx.unwatch(sub.ref);
    } catch {
      // not watched
    }
    if (![...this.subscribers.values()].some((s) => s.hz === sub.hz)) this.ctx.cancelTimer(`frames:${sub.hz}`);
  }

  /**
   * Subscribers whose frame fell due during a step (new ones included) get it once the step is
   * over, so a frame always shows the latest completed step rather than repeating the one before.
   */
  private sendDueFrames(): void {
    for (const sub of this.subscribers.values()) if (sub.due) this.sendFrame(sub);
  }

  private sendFrames(hz: number): void {
    for (const sub of this.subscribers.values()) {
      if (sub.hz !== hz) continue;
      if (sub.lastVersion !== this.version) this.sendFrame(sub);
      // Nothing new yet but a step is coming: its result is this period's frame. (Waiting for the
      // next timer instead would halve the rate whenever frames and steps share a period.)
      else if (!this.sleeping) sub.due = true;
    }
  }

  private sendFrame(sub: Subscriber): void {
    // A step in flight is writing the arrays: a snapshot of the latest completed state goes out now
    // if one was taken; otherwise the frame waits for the end of the step (onStepDone).
    if (this.inFlight !== 0 && this.snapshotVersion !== this.version) {
      sub.due = true;
      return;
    }
    sub.due = false;
    if (this.snapshotVersion !== this.version) {
      this.snapshotCache = this.layout.snapshot(this.ticks);
      this.snapshotVersion = this.version;
    }
    const s = this.snapshotCache!;
    sub.lastVersion = this.snapshotVersion;
    sub.ref.tell(
      sub.velocities
        ? { type: 'frame', epoch: s.epoch, tick: s.tick, ids: s.ids, positions: s.positions, velocities: s.velocities }
        : { type: 'frame', epoch: s.epoch, tick: s.tick, ids: s.ids, positions: s.positions },
      this.ctx.self,
    );
  }

  private stats(): PhysicsStats {
    const mean = this.stepMs.length === 0 ? 0 : this.stepMs.reduce((a, b) => a + b, 0) / this.stepMs.length;
    return {
      engine: this.engineKind,
      engineDescription: this.engineDescription,
      fallbacks: [...this.options.selector.history],
      nodes: this.layout.n,
      edges: this.layout.edgeCount,
      springs: this.layout.springs,
      epoch: this.layout.epoch,
      ticks: this.ticks,
      alpha: this.alpha,
      sleeping: this.sleeping,
      maxSpeed: this.maxSpeed,
      lastStepMs: this.stepMs.at(-1) ?? 0,
      meanStepMs: mean,
      pinned: this.layout.pinnedIds(),
      subscribers: this.subscribers.size,
      params: this.params,
      targetParams: this.easer.target,
    };
  }
}
