// An actor system: the root guardian and its tree, the dispatcher, the registry of paths, asks,
// dead letters, the event stream, fault injection and the transports to other systems.
import type { ActorFactory, SpawnOptions } from './actor.ts';
import { AskDeadlines } from './ask-deadlines.ts';
import { AskRef, TEMP_PREFIX, validateTimeout, type AskHost } from './ask.ts';
import { ActorCell, LocalRef, type CellHost } from './cell.ts';
import { RealClock, type Clock } from '../shared/clock.ts';
import type { DeadLetter, DeadLetterReason } from './dead-letter.ts';
import { DEFAULT_DISPATCHER, Dispatcher, type Runnable } from './dispatcher.ts';
import { EventStream } from './event-stream.ts';
import type { RuntimeEvent } from './events.ts';
import { FaultInjector } from './fault-injector.ts';
import type { FaultPlan } from './fault-plan.ts';
import { parsePath, qualify } from './path.ts';
import type { Ref } from './ref.ts';
import { RemoteWatchTable } from './remote-watch.ts';
import { RESTART_FAILED_CHILD, type SupervisorStrategy } from './supervision.ts';
import { RemoteRef, type DeliveryResult, type InboundEnvelope, type RefResolver, type RemoteSender, type Transport } from './transport.ts';

type AnyRef = Ref<unknown>;

export interface SystemOptions {
  /** This system's address on the wire, e.g. "node-a". */
  readonly name: string;
  readonly clock?: Clock;
  /** Uniform in [0, 1): backoff jitter and probabilistic faults; inject a seeded one in tests. */
  readonly random?: () => number;
  /** How the root supervises top-level actors. */
  readonly rootStrategy?: SupervisorStrategy;
  /** Most messages handled per macrotask before yielding to I/O (default 200k). */
  readonly turnBudget?: number;
  /** Most milliseconds of handling per macrotask before yielding to I/O (default 2). */
  readonly turnBudgetMs?: number;
}

export interface Termination {
  /** True when the tree stopped because a failure reached the root. */
  readonly failed: boolean;
  readonly error: unknown;
}

export class ActorSystem {
  readonly name: string;
  readonly clock: Clock;
  readonly events = new EventStream<RuntimeEvent>();
  readonly faults: FaultInjector;
  readonly whenTerminated: Promise<Termination>;
  /** Ref <-> wire path mapping for codecs. */
  readonly refs: RefResolver;

  private readonly randomSource: () => number;
  private readonly dispatcher: Dispatcher;
  private readonly registry = new Map<string, ActorCell<unknown>>();
  private readonly pendingAsks = new Map<number, AskRef<unknown>>();
  private readonly askDeadlines: AskDeadlines;
  private readonly transports = new Map<string, Transport>();
  private readonly remoteWatches = new RemoteWatchTable((address) => this.transports.get(address));
  /** One router for every RemoteRef this system makes. */
  private readonly remoteSender: RemoteSender = {
    sendRemote: (recipient, message, sender, target) => this.sendRemote(recipient, message, sender, target),
  };
  private readonly root: ActorCell<unknown>;
  private readonly host: CellHost;
  private readonly askHost: AskHost;
  private nextCorrelationId = 1;
  private busyHandlers = 0;
  private termination: Promise<Termination> | undefined;
  private resolveTerminated!: (t: Termination) => void;

  constructor(options: SystemOptions) {
    this.name = options.name;
    this.clock = options.clock ?? new RealClock();
    this.randomSource = options.random ?? Math.random;
    this.dispatcher = new Dispatcher(
      {
        turnBudget: options.turnBudget ?? DEFAULT_DISPATCHER.turnBudget,
        turnBudgetMs: options.turnBudgetMs ?? DEFAULT_DISPATCHER.turnBudgetMs,
      },
      () => this.busyHandlers > 0,
    );
    this.whenTerminated = new Promise((resolve) => (this.resolveTerminated = resolve));
    this.faults = new FaultInjector({
      cellAt: (path) => this.registry.get(path),
      publish: (event) => this.events.publish(event),
      now: () => this.clock.now(),
    });
    this.host = this.makeHost();
    this.refs = {
      pathOf: (ref) => this.qualifiedPath(ref)!,
      refFor: (path) =>
        path.startsWith(`vf://${this.name}${TEMP_PREFIX}`) || path.startsWith(TEMP_PREFIX) ? this.askRefFor(path) : this.resolve(path),
    };
    this.askHost = {
      settled: (ref) => this.pendingAsks.delete(ref.correlationId),
      lateReply: (ref, message) => this.publishDeadLetter(ref.path, message, undefined, 'ask-expired', ref.correlationId),
    };
    this.askDeadlines = new AskDeadlines(this.clock, (id) => {
      const pending = this.pendingAsks.get(id);
      if (pending === undefined) return;
      const request = pending.expire();
      this.publishDeadLetter(pending.target, request, pending.path, 'ask-expired', id);
    });
    const guardian: ActorFactory<never> = () => ({ receive: () => undefined });
    this.root = new ActorCell<unknown>(this.host, undefined, '', guardian, {
      supervision: options.rootStrategy ?? RESTART_FAILED_CHILD,
      mailbox: { capacity: 16, overflow: 'reject' },
    });
    this.root.start();
  }

  /** The system's random source (seeded in tests): jitter, sampling, probabilistic faults. */
  random(): number {
    return this.randomSource();
  }

  // ---- the tree ---------------------------------------------------------------------------------

  /** Spawns a top-level actor under the root guardian. */
  spawn<Msg>(factory: ActorFactory<Msg>, options: SpawnOptions): Ref<Msg> {
    return this.root.spawnChild(factory, options).ref;
  }

  /** The local actor at `path`, if one is running there. The caller vouches for `Msg`. */
  lookup<Msg>(path: string): Ref<Msg> | undefined {
    return this.registry.get(path)?.ref as Ref<Msg> | undefined;
  }

  /**
   * A ref for any path: local when the address is ours or absent, remote through the transport
   * registered for its address otherwise. Undefined when nothing can reach it.
   */
  resolve<Msg>(path: string): Ref<Msg> | undefined {
    const parsed = parsePath(path);
    if (parsed === undefined) return undefined;
    if (parsed.address === undefined || parsed.address === this.name) return this.lookup<Msg>(parsed.local);
    if (!this.transports.has(parsed.address)) return undefined;
    return new RemoteRef<Msg>(path, this.remoteSender);
  }

  /**
   * A ref for a qualified path on another system, bound to `incarnation` of it: what a transport
   * makes of a sender or of a ref inside a message. Tells dead-letter when nothing reaches it.
   */
  remoteRef<Msg>(path: string, incarnation: number | undefined): RemoteRef<Msg> {
    return new RemoteRef<Msg>(path, this.remoteSender, incarnation);
  }

  /** Paths of every live actor under `path` (inclusive), parents before children, in start order. */
  tree(path = '/'): string[] {
    const cell = this.registry.get(path);
    if (cell === undefined) return [];
    const out: string[] = [];
    const walk = (c: ActorCell<unknown>): void => {
      out.push(c.path);
      for (const child of c.childList()) walk(child);
    };
    walk(cell);
    return out;
  }

  /** Stops a local actor and its subtree. */
  stop(ref: AnyRef): Promise<void> {
    if (!(ref instanceof LocalRef)) return Promise.reject(new Error(`cannot stop non-local ${ref.path}`));
    return (ref.cell as ActorCell<unknown>).stop('normal');
  }

  /** Resolves when `ref`'s actor has stopped for good. */
  whenStopped(ref: AnyRef): Promise<void> {
    if (!(ref instanceof LocalRef)) return Promise.reject(new Error(`cannot watch non-local ${ref.path}`));
    return (ref.cell as ActorCell<unknown>).terminated;
  }

  // ---- ask ---------------------------------------------------------------------------------------

  ask<Req, Res>(target: Ref<Req>, build: (replyTo: Ref<Res>) => Req, timeoutMs: number): Promise<Res> {
    validateTimeout(timeoutMs);
    const id = this.nextCorrelationId++;
    const ref = new AskRef<Res>(id, target.path, timeoutMs, this.askHost);
    this.pendingAsks.set(id, ref as AskRef<unknown>);
    const request = build(ref);
    if (!ref.settled) {
      ref.request = request;
      this.askDeadlines.add(id, timeoutMs);
    }
    target.tell(request, ref);
    return ref.promise;
  }

  /** The path an ask still waiting was sent to; undefined once it is settled. */
  askTarget(correlationId: number): string | undefined {
    return this.pendingAsks.get(correlationId)?.target;
  }

  private askRefFor(path: string): Ref<unknown> | undefined {
    const local = parsePath(path)?.local ?? '';
    return this.pendingAsks.get(Number(local.slice(TEMP_PREFIX.length)));
  }

  /** Asks still waiting for a reply. */
  get pendingAskCount(): number {
    return this.pendingAsks.size;
  }

  // ---- delivery outside the tree -----------------------------------------------------------------

  /**
   * Delivers without producing a dead letter when it cannot: the retry actor uses this so that a
   * failed retry does not feed itself another dead letter.
   */
  tryDeliver(path: string, message: unknown, sender: AnyRef | undefined): DeliveryResult {
    const parsed = parsePath(path);
    if (parsed === undefined) return 'recipient-unknown';
    if (parsed.address !== undefined && parsed.address !== this.name) {
      const transport = this.transports.get(parsed.address);
      if (transport === undefined) return 'recipient-unknown';
      return transport.send({ recipient: path, sender: this.qualifiedPath(sender), correlationId: correlationOf(sender), message })
        ? 'delivered'
        : 'transport-failed';
    }
    const cell = this.registry.get(parsed.local);
    if (cell === undefined) return 'recipient-unknown';
    if (cell.state === 'stopping' || cell.state === 'stopped') return 'recipient-stopped';
    if (!cell.hasRoom()) return cell.state === 'backoff' ? 'stash-full' : 'mailbox-full';
    cell.tell(message, sender);
    return 'delivered';
  }

  /** Tells the actor at a path, dead-lettering when there is none. */
  tellPath(path: string, message: unknown, sender?: AnyRef): void {
    const ref = this.resolve<unknown>(path);
    if (ref === undefined) this.deadLetter(path, message, sender, 'recipient-unknown');
    else ref.tell(message, sender);
  }

  // ---- transports ----------------------------------------------------------------------------------

  addTransport(transport: Transport): void {
    if (transport.address === this.name) throw new Error(`a transport cannot reach this system's own address ${this.name}`);
    this.transports.set(transport.address, transport);
  }

  removeTransport(address: string): void {
    this.transports.delete(address);
  }

  /** Called by a transport with an envelope that arrived for this system. */
  receiveRemote(envelope: InboundEnvelope): DeliveryResult {
    const parsed = parsePath(envelope.recipient);
    if (parsed === undefined || (parsed.address !== undefined && parsed.address !== this.name)) {
      this.deadLetter(envelope.recipient, envelope.message, undefined, 'recipient-unknown');
      return 'recipient-unknown';
    }
    const sender = envelope.senderRef ?? (envelope.sender === undefined ? undefined : this.resolve<unknown>(envelope.sender));
    return this.deliverRemote(parsed.local, envelope.message, sender);
  }

  /**
   * Delivers a message a transport received for `local`, a path on this system (a reply to an ask
   * included), dead-lettering here what cannot be delivered.
   */
  deliverRemote(local: string, message: unknown, sender: AnyRef | undefined): DeliveryResult {
    if (local.startsWith(TEMP_PREFIX)) {
      const ask = this.pendingAsks.get(Number(local.slice(TEMP_PREFIX.length)));
      if (ask === undefined) {
        this.deadLetter(local, message, sender, 'ask-expired');
        return 'recipient-unknown';
      }
      ask.tell(message);
      return 'delivered';
    }
    const cell = this.registry.get(local);
    if (cell === undefined) {
      this.deadLetter(local, message, sender, 'recipient-unknown');
      return 'recipient-unknown';
    }
    // The cell dead-letters itself what it cannot take (stopped, full mailbox or stash).
    cell.tell(message, sender);
    return 'delivered';
  }

  private sendRemote(recipient: string, message: unknown, sender: AnyRef | undefined, target?: RemoteRef<unknown>): void {
    const address = target !== undefined ? target.address : parsePath(recipient)?.address;
    const transport = address === undefined ? undefined : this.transports.get(address);
    // Most tells name no sender: neither its path nor an ask's correlation id is looked for then.
    const sent =
      transport !== undefined &&
      transport.send({
        recipient,
        sender: sender === undefined ? undefined : this.qualifiedPath(sender),
        correlationId: sender === undefined ? undefined : correlationOf(sender),
        message,
        target,
        senderRef: sender,
      });
    if (!sent) this.deadLetter(recipient, message, sender, transport === undefined ? 'recipient-unknown' : 'transport-failed');
  }

  // ---- remote death watch ----------------------------------------------------------------------------

  /** Called by a transport: the remote actor at `path` (qualified) stopped. */
  remoteTerminated(path: string): void {
    this.remoteWatches.terminated(path);
  }

  /** Called by a transport: the system at `address` is down; everything watched there is gone. */
  remoteAddressDown(address: string): void {
    this.remoteWatches.addressDown(address);
  }

  /** Remote refs watched by local actors, for metrics and tests. */
  get remoteWatchCount(): number {
    return this.remoteWatches.size;
  }

  private qualifiedPath(ref: AnyRef | undefined): string | undefined {
    if (ref === undefined) return undefined;
    return ref.path.startsWith('/') ? qualify(this.name, ref.path) : ref.path;
  }

  // ---- dead letters ---------------------------------------------------------------------------------

  /** `detail` says exactly what went wrong where the reason alone would not (an ask's error carries it). */
  deadLetter(recipient: string, message: unknown, sender: AnyRef | undefined, reason: DeadLetterReason, detail?: string): void {
    let correlationId: number | undefined;
    if (sender instanceof AskRef) {
      correlationId = sender.correlationId;
      sender.fail(detail === undefined ? reason : `${reason}: ${detail}`);
    }
    this.publishDeadLetter(recipient, message, sender?.path, reason, correlationId, detail);
  }

  private publishDeadLetter(
    recipient: string,
    message: unknown,
    sender: string | undefined,
    reason: DeadLetterReason,
    correlationId: number | undefined,
    detail?: string,
  ): void {
    const letter: DeadLetter =
      detail === undefined
        ? { recipient, message, sender, reason, time: this.clock.now(), correlationId }
        : { recipient, message, sender, reason, time: this.clock.now(), correlationId, detail };
    this.events.publish({ type: 'dead-letter', letter });
  }

  // ---- quiescence and termination ----------------------------------------------------------------

  /**
   * Resolves when no actor has a message it can handle and no async handler is running: the point
   * at which a test may assert (or advance a virtual clock).
   */
  async settled(): Promise<void> {
    for (;;) {
      await this.dispatcher.whenDrained();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.dispatcher.queuedCount === 0 && this.busyHandlers === 0) return;
    }
  }

  /** Stops the whole tree in order (children before parents, reverse start order). */
  terminate(): Promise<Termination> {
    return this.shutdown({ failed: false, error: undefined });
  }

  private shutdown(result: Termination): Promise<Termination> {
    this.termination ??= (async () => {
      await this.root.stop('shutdown');
      for (const ask of [...this.pendingAsks.values()]) ask.fail('system terminated');
      this.askDeadlines.clear();
      this.events.publish({ type: 'system-terminated', failed: result.failed, error: result.error, time: this.clock.now() });
      this.resolveTerminated(result);
      return result;
    })();
    return this.termination;
  }

  /** Every live cell, for metrics. */
  cells(): IterableIterator<ActorCell<unknown>> {
    return this.registry.values();
  }

  private makeHost(): CellHost {
    return {
      system: this,
      clock: this.clock,
      random: () => this.randomSource(),
      publish: (event) => this.events.publish(event),
      schedule: (cell: Runnable) => this.dispatcher.schedule(cell),
      deadLetter: (recipient, message, sender, reason) => this.deadLetter(recipient, message, sender, reason),
      register: (cell) => this.registry.set(cell.path, cell),
      unregister: (cell) => {
        if (this.registry.get(cell.path) === cell) this.registry.delete(cell.path);
      },
      faultFor: (path): FaultPlan | undefined => this.faults.take(path),
      busyChanged: (delta) => (this.busyHandlers += delta),
      rootFailed: (error) => void this.shutdown({ failed: true, error }),
      ask: (target, build, timeoutMs) => this.ask(target, build, timeoutMs),
      watchRemote: (watcher, target, message) => {
        if (!(target instanceof RemoteRef)) throw new Error(`death watch needs a local or a remote ref, got ${target.path}`);
        this.remoteWatches.watch(watcher, target as RemoteRef<unknown>, message);
      },
      unwatchRemote: (watcher, target) => {
        if (target instanceof RemoteRef) this.remoteWatches.unwatch(watcher, target as RemoteRef<unknown>);
      },
      remoteWatcherStopped: (watcher) => this.remoteWatches.watcherStopped(watcher),
    };
  }
}

function correlationOf(ref: AnyRef | undefined): number | undefined {
  return ref instanceof AskRef ? ref.correlationId : undefined;
}
