// The machinery behind one actor: its mailbox, its current instance, its children, its lifecycle.
// States:  starting -> running -> (failed: suspended) -> restarting -> backoff -> starting ...
//          any -> stopping -> stopped
// A restart keeps the cell, its ref and its mailbox, and replaces the instance with a fresh one
// from the factory; messages that arrive while the restart waits out its backoff are stashed.
import type { BackoffOptions } from '../shared/backoff.ts';
import type { Clock, TimerHandle } from '../shared/clock.ts';
import type { Actor, ActorContext, ActorFactory, SpawnOptions } from './actor.ts';
import type { DeadLetterReason } from './dead-letter.ts';
import type { Priority, Runnable } from './dispatcher.ts';
import { ActorKilledError, InjectedFault } from './errors.ts';
import type { RuntimeEvent, StopReason } from './events.ts';
import { describeFault, type FaultPlan } from './fault-plan.ts';
import { Mailbox, REFUSED, STORED } from './mailbox.ts';
import { DEFAULT_MAILBOX, validateMailboxOptions } from './overflow-policy.ts';
import { childPath, validateName } from './path.ts';
import type { Ref } from './ref.ts';
import { RestartHistory } from './restart-intensity.ts';
import { handleChildFailure, handleNormalExit } from './supervise.ts';
import { RESTART_FAILED_CHILD, type ChildRestart, type SupervisorStrategy } from './supervision.ts';
import type { ActorSystem } from './system.ts';

export type CellState = 'starting' | 'running' | 'suspended' | 'restarting' | 'backoff' | 'stopping' | 'stopped';

type AnyRef = Ref<unknown>;

/** What a cell needs from its system; kept narrow so the cell is testable on its own terms. */
export interface CellHost {
  readonly system: ActorSystem;
  readonly clock: Clock;
  random(): number;
  publish(event: RuntimeEvent): void;
  schedule(cell: Runnable): void;
  deadLetter(recipient: string, message: unknown, sender: AnyRef | undefined, reason: DeadLetterReason): void;
  register(cell: ActorCell<unknown>): void;
  unregister(cell: ActorCell<unknown>): void;
  faultFor(path: string): FaultPlan | undefined;
  busyChanged(delta: 1 | -1): void;
  rootFailed(error: unknown): void;
  ask<Req, Res>(target: Ref<Req>, build: (replyTo: Ref<Res>) => Req, timeoutMs: number): Promise<Res>;
  /** Death watch on a ref that is not local: the transport for its address watches it (remote-watch.ts). */
  watchRemote(watcher: ActorCell<unknown>, target: AnyRef, message: unknown): void;
  unwatchRemote(watcher: ActorCell<unknown>, target: AnyRef): void;
  /** A cell that watched remote refs stopped. */
  remoteWatcherStopped(watcher: ActorCell<unknown>): void;
}

const DEFAULT_THROUGHPUT = 300;
const DEFAULT_SHUTDOWN_MS = 5_000;

/** The ref of a local actor: stays valid across restarts, dead-letters after the final stop. */
export class LocalRef<Msg> implements Ref<Msg> {
  constructor(readonly cell: ActorCell<Msg>) {}

  get path(): string {
    return this.cell.path;
  }

  tell(message: Msg, sender?: AnyRef): void {
    this.cell.tell(message, sender);
  }

  toString(): string {
    return `Ref(${this.cell.path})`;
  }
}

export class ActorCell<Msg> implements Runnable {
  readonly path: string;
  readonly ref: LocalRef<Msg>;
  readonly mailbox: Mailbox<Msg, AnyRef>;
  readonly throughput: number;
  readonly priority: Priority;
  readonly restartType: ChildRestart;
  readonly supervision: SupervisorStrategy;
  readonly shutdownTimeoutMs: number;
  readonly children = new Map<string, ActorCell<unknown>>();

  /** The dispatcher's mark (Runnable): this cell waits in its queue. */
  queued = false;

  private cellState: CellState = 'starting';
  /** Handled messages, for metrics. */
  private handled = 0;
  private faultPlan: FaultPlan | undefined;
  /** This actor's record of its children's restarts; a fresh instance starts a fresh record. */
  private restartHistory: RestartHistory;
  /** Restarts since the child last ran stably; drives the backoff attempt number. */
  private attempt = 0;
  private startedAt: number;
  private incarnationCount = 0;

  private actor: Actor<Msg> | undefined;
  /** Bumped whenever the running instance is abandoned, so its late async results are ignored. */
  private epoch = 0;
  private busy = false;
  private selfStopPending = false;
  private currentSender: AnyRef | undefined;
  private stash: Mailbox<Msg, AnyRef> | undefined;
  private stopping: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly timers = new Map<string, TimerHandle>();
  private readonly oneShotTimers = new Set<TimerHandle>();
  private readonly watchers = new Map<ActorCell<unknown>, unknown>();
  private readonly watching = new Set<ActorCell<unknown>>();
  /** Set once this cell watches a remote ref, so that its stop tells the system to forget them. */
  private watchesRemote = false;
  private readonly ctx: ActorContext<Msg>;
  private terminatedResolve!: () => void;
  readonly terminated = new Promise<void>((resolve) => (this.terminatedResolve = resolve));

  constructor(
    private readonly host: CellHost,
    readonly parent: ActorCell<unknown> | undefined,
    readonly name: string,
    private readonly factory: ActorFactory<Msg>,
    options: Omit<SpawnOptions, 'name'>,
  ) {
    this.path = parent === undefined ? '/' : childPath(parent.path, validateName(name));
    const mailbox = validateMailboxOptions(options.mailbox ?? DEFAULT_MAILBOX);
    this.mailbox = new Mailbox(mailbox.capacity, mailbox.overflow);
    this.throughput = options.throughput ?? DEFAULT_THROUGHPUT;
    this.priority = options.priority ?? 'normal';
    this.restartType = options.restart ?? 'permanent';
    this.supervision = options.supervision ?? RESTART_FAILED_CHILD;
    this.restartHistory = new RestartHistory(this.supervision.intensity);
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_MS;
    this.ownBackoff = options.backoff;
    this.ref = new LocalRef(this);
    this.startedAt = host.clock.now();
    this.faultPlan = host.faultFor(this.path);
    this.ctx = this.makeContext();
  }

  private readonly ownBackoff: BackoffOptions | undefined;

  /** The backoff that applies when this cell restarts: its own, else its parent's strategy's. */
  get backoff(): BackoffOptions {
    return this.ownBackoff ?? this.parent?.supervision.backoff ?? RESTART_FAILED_CHILD.backoff;
  }

  get state(): CellState {
    return this.cellState;
  }

  get processed(): number {
    return this.handled;
  }

  /** The injected fault this cell applies to its next messages, if any (fault-injector.ts). */
  get fault(): FaultPlan | undefined {
    return this.faultPlan;
  }

  /** Restarts since this cell last ran stably: the backoff attempt its last restart used. */
  get restartAttempt(): number {
    return this.attempt;
  }

  /** Clock time its current instance started. */
  get lastStartedAt(): number {
    return this.startedAt;
  }

  /** 0 for the first instance, +1 per restart. */
  get incarnation(): number {
    return this.incarnationCount;
  }

  /** Sets or clears the fault its next messages meet. */
  injectFault(plan: FaultPlan | undefined): void {
    this.faultPlan = plan;
  }

  /** Records a restart of one of its children at `now`; false when that exceeds its strategy's intensity. */
  recordChildRestart(now: number): boolean {
    return this.restartHistory.record(now);
  }

  get system(): ActorSystem {
    return this.host.system;
  }

  get clock(): Clock {
    return this.host.clock;
  }

  get isBusy(): boolean {
    return this.busy;
  }

  /** Children in start order. */
  childList(): ActorCell<unknown>[] {
    return [...this.children.values()];
  }

  publish(event: RuntimeEvent): void {
    this.host.publish(event);
  }

  random(): number {
    return this.host.random();
  }

  // ---- delivery --------------------------------------------------------------------------------

  tell(message: Msg, sender: AnyRef | undefined): void {
    const state = this.cellState;
    if (state === 'running' || state === 'starting' || state === 'suspended' || state === 'restarting') {
      const outcome = this.mailbox.enqueue(message, sender);
      if (outcome === STORED) {
        if (!this.busy && !this.queued && state === 'running') this.host.schedule(this);
        return;
      }
      this.overflowed();
      if (outcome === REFUSED) {
        this.host.deadLetter(this.path, message, sender, this.mailbox.policy === 'reject' ? 'mailbox-full' : 'mailbox-dropped');
        return;
      }
      const evicted = this.mailbox.evictedMessage as Msg;
      const evictedSender = this.mailbox.evictedSender;
      this.mailbox.evictedMessage = undefined;
      this.mailbox.evictedSender = undefined;
      this.host.deadLetter(this.path, evicted, evictedSender, 'mailbox-dropped');
      if (!this.busy && !this.queued && state === 'running') this.host.schedule(this);
      return;
    }
    if (state === 'backoff') this.enqueueStash(message, sender);
    else this.host.deadLetter(this.path, message, sender, 'recipient-stopped');
  }

  /** A completion of work this actor accepted (pipeToSelf): stored past the mailbox's bound. */
  private tellAccepted(message: Msg): void {
    const state = this.cellState;
    if (state === 'running' || state === 'starting' || state === 'suspended' || state === 'restarting') {
      this.mailbox.force(message, undefined);
      if (!this.busy && !this.queued && state === 'running') this.host.schedule(this);
      return;
    }
    this.tell(message, undefined);
  }

  /** Whether a tell now would be stored (mailbox, or stash during backoff) rather than dead-lettered. */
  hasRoom(): boolean {
    switch (this.cellState) {
      case 'stopping':
      case 'stopped':
        return false;
      case 'backoff':
        return this.stash!.size < this.stash!.capacity;
      default:
        return this.mailbox.size < this.mailbox.capacity;
    }
  }

  private enqueueStash(message: Msg, sender: AnyRef | undefined): void {
    if (this.stash!.enqueue(message, sender) === REFUSED) this.host.deadLetter(this.path, message, sender, 'stash-full');
  }

  private overflowed(): void {
    this.publish({
      type: 'mailbox-overflow',
      path: this.path,
      policy: this.mailbox.policy,
      capacity: this.mailbox.capacity,
      time: this.clock.now(),
    });
  }

  readyToRun(): boolean {
    return this.cellState === 'running' && !this.busy && this.mailbox.size > 0;
  }

  /** Called by the dispatcher: handles up to `quota` messages, one at a time. */
  run(quota: number): number {
    const actor = this.actor!;
    const mailbox = this.mailbox;
    const ctx = this.ctx;
    let handled = 0;
    if (this.busy) return 0;
    // `busy` can only become true below, where the loop breaks; state can change inside receive.
    while (handled < quota && this.cellState === 'running' && mailbox.size > 0) {
      const message = mailbox.dequeue() as Msg;
      this.currentSender = mailbox.lastSender;
      handled++;
      let result: unknown;
      try {
        result = this.faultPlan === undefined ? actor.receive(message, ctx) : this.receiveWithFault(actor, message);
      } catch (error) {
        this.handled += handled;
        this.fail(error);
        return handled;
      }
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        this.awaitHandler(result as Promise<void>);
        break;
      }
    }
    this.handled += handled;
    return handled;
  }

  private receiveWithFault(actor: Actor<Msg>, message: Msg): unknown {
    const plan = this.faultPlan!;
    const action = plan.next(() => this.random());
    if (plan.exhausted) this.faultPlan = undefined;
    if (action === 'none') return actor.receive(message, this.ctx);
    this.publish({ type: 'fault-injected', path: this.path, fault: describeFault(plan.fault), time: this.clock.now() });
    if (action === 'throw') throw new InjectedFault(this.path);
    const durationMs = plan.fault.kind === 'stall' ? plan.fault.durationMs : 0;
    const epoch = this.epoch;
    // If the instance was discarded (killed, restarted) during the stall, it must not see the message.
    return new Promise<void>((resolve) => this.clock.setTimer(durationMs, resolve)).then(() =>
      epoch === this.epoch ? actor.receive(message, this.ctx) : undefined,
    );
  }

  private awaitHandler(promise: Promise<void>): void {
    this.setBusy(true);
    const epoch = this.epoch;
    promise.then(
      () => {
        if (epoch !== this.epoch) return;
        this.setBusy(false);
        if (this.selfStopPending) {
          this.selfStopPending = false;
          void this.stopSelf();
        } else if (this.readyToRun()) this.host.schedule(this);
      },
      (error: unknown) => {
        if (epoch !== this.epoch) return;
        this.setBusy(false);
        this.selfStopPending = false;
        this.fail(error);
      },
    );
  }

  private setBusy(busy: boolean): void {
    if (this.busy === busy) return;
    this.busy = busy;
    this.host.busyChanged(busy ? 1 : -1);
    if (!busy) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when no handler of this cell is running. */
  private whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Creates the first instance and runs preStart; called once, right after spawn. */
  start(): void {
    this.host.register(this as ActorCell<unknown>);
    void this.instantiate(undefined);
  }

  private async instantiate(restartError: unknown): Promise<void> {
    const isRestart = this.incarnation > 0;
    const epoch = this.epoch;
    this.cellState = 'starting';
    this.startedAt = this.clock.now();
    try {
      const actor = this.factory(this.ctx);
      this.actor = actor;
      const hook = isRestart && actor.postRestart !== undefined ? actor.postRestart(restartError, this.ctx) : actor.preStart?.(this.ctx);
      if (hook !== undefined) await hook;
    } catch (error) {
      if (epoch === this.epoch && this.cellState === 'starting') this.fail(error);
      return;
    }
    if (epoch !== this.epoch || this.cellState !== 'starting') return;
    this.cellState = 'running';
    this.publish({ type: 'actor-started', path: this.path, incarnation: this.incarnation, time: this.clock.now() });
    if (isRestart) this.publish({ type: 'actor-restarted', path: this.path, attempt: this.restartAttempt, time: this.clock.now() });
    this.unstash();
    if (this.readyToRun()) this.host.schedule(this);
  }

  private unstash(): void {
    const stash = this.stash;
    this.stash = undefined;
    if (stash === undefined) return;
    for (const { message, sender } of stash.drain()) this.tell(message, sender);
  }

  /** The current instance failed: suspend and let the parent decide. */
  fail(error: unknown): void {
    if (this.cellState === 'stopping' || this.cellState === 'stopped') return;
    if (this.cellState === 'restarting' || this.cellState === 'backoff') return; // a restart is already under way
    this.epoch++;
    this.setBusy(false);
    this.cellState = 'suspended';
    this.publish({ type: 'actor-failed', path: this.path, error, time: this.clock.now() });
    if (this.parent === undefined) this.host.rootFailed(error);
    else handleChildFailure(this.parent, this as ActorCell<unknown>, error);
  }

  /** Fault injection and operators: fail the actor now, whatever it is doing. */
  kill(): void {
    this.fail(new ActorKilledError(this.path));
  }

  /** Directive resume: keep the instance and its state, carry on with the next message. */
  resume(): void {
    if (this.cellState !== 'suspended') return;
    this.cellState = this.actor === undefined ? 'starting' : 'running';
    if (this.actor === undefined) void this.instantiate(undefined);
    else if (this.readyToRun()) this.host.schedule(this);
  }

  /** First half of a restart: discard the instance (and its children); stash until `restart`. */
  async tearDownForRestart(error: unknown): Promise<void> {
    if (this.cellState === 'stopping' || this.cellState === 'stopped' || this.cellState === 'backoff') return;
    this.epoch++;
    this.setBusy(false);
    this.cellState = 'restarting';
    this.cancelTimers();
    await this.stopChildren('parent-restart');
    const actor = this.actor;
    this.actor = undefined;
    if (actor !== undefined) {
      try {
        await (actor.preRestart !== undefined ? actor.preRestart(error, this.ctx) : actor.postStop?.(this.ctx));
      } catch (hookError) {
        this.publish({ type: 'actor-failed', path: this.path, error: hookError, time: this.clock.now() });
      }
    }
    if (this.stopping !== undefined) return;
    this.stash = new Mailbox(this.backoff.stashCapacity, 'reject');
    this.cellState = 'backoff';
  }

  /** Second half of a restart: a fresh instance from the factory; then the stash is replayed. */
  restart(error: unknown, attempt: number): void {
    if (this.cellState !== 'backoff') return;
    this.incarnationCount++;
    this.attempt = attempt;
    this.restartHistory = new RestartHistory(this.supervision.intensity);
    void this.instantiate(error);
  }

  /** Stops the children (reverse start order), then this actor; idempotent. */
  stop(reason: StopReason): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: StopReason): Promise<void> {
    const hadInstance = this.cellState === 'running' || this.cellState === 'starting' || this.cellState === 'suspended';
    this.cellState = 'stopping';
    this.cancelTimers();
    if (this.busy) await this.withTimeout(this.whenIdle());
    this.epoch++;
    this.setBusy(false);
    await this.stopChildren(reason === 'normal' || reason === 'failure' ? 'shutdown' : reason);
    const actor = this.actor;
    this.actor = undefined;
    if (actor?.postStop !== undefined && hadInstance) {
      try {
        await this.withTimeout(Promise.resolve(actor.postStop(this.ctx)));
      } catch (error) {
        this.publish({ type: 'actor-failed', path: this.path, error, time: this.clock.now() });
      }
    }
    this.cellState = 'stopped';
    for (const { message, sender } of this.mailbox.drain()) this.host.deadLetter(this.path, message, sender, 'recipient-stopped');
    for (const { message, sender } of this.stash?.drain() ?? []) this.host.deadLetter(this.path, message, sender, 'recipient-stopped');
    this.stash = undefined;
    for (const target of this.watching) target.watchers.delete(this as ActorCell<unknown>);
    this.watching.clear();
    if (this.watchesRemote) this.host.remoteWatcherStopped(this as ActorCell<unknown>);
    this.host.unregister(this as ActorCell<unknown>);
    if (this.parent !== undefined && this.parent.children.get(this.name) === (this as ActorCell<unknown>)) {
      this.parent.children.delete(this.name);
    }
    for (const [watcher, message] of this.watchers) {
      watcher.watching.delete(this as ActorCell<unknown>);
      watcher.tell(message, this.ref);
    }
    this.watchers.clear();
    this.publish({ type: 'actor-stopped', path: this.path, reason, time: this.clock.now() });
    this.terminatedResolve();
  }

  private async stopChildren(reason: StopReason): Promise<void> {
    for (const child of this.childList().reverse()) await child.stop(reason);
  }

  private withTimeout(promise: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimer(this.shutdownTimeoutMs, resolve);
      promise.then(
        () => {
          timer.cancel();
          resolve();
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });
  }

  private cancelTimers(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const t of this.oneShotTimers) t.cancel();
    this.oneShotTimers.clear();
  }

  private stopSelf(): Promise<void> {
    if (this.busy) {
      // Called from the actor's own async handler: stopping waits for that handler, so stop once it
      // is done (as Akka does) instead of deadlocking on it.
      this.selfStopPending = true;
      return Promise.resolve();
    }
    if (this.parent !== undefined && this.restartType === 'permanent' && this.parent.state === 'running') {
      // OTP: a permanent child is restarted even after a normal exit.
      handleNormalExit(this.parent, this as ActorCell<unknown>);
      return Promise.resolve();
    }
    return this.stop('normal');
  }

  // ---- children and context --------------------------------------------------------------------

  spawnChild<C>(factory: ActorFactory<C>, options: SpawnOptions): ActorCell<C> {
    if (this.cellState === 'stopping' || this.cellState === 'stopped')
      throw new Error(`${this.path} is stopping and cannot spawn ${options.name}`);
    if (this.children.has(options.name)) throw new Error(`${this.path} already has a child named ${options.name}`);
    const child = new ActorCell<C>(this.host, this as ActorCell<unknown>, options.name, factory, options);
    this.children.set(options.name, child as ActorCell<unknown>);
    child.start();
    return child;
  }

  watch(target: ActorCell<unknown>, message: unknown): void {
    if (target.state === 'stopped') {
      this.tell(message as Msg, target.ref);
      return;
    }
    target.watchers.set(this as ActorCell<unknown>, message);
    this.watching.add(target);
  }

  unwatch(target: ActorCell<unknown>): void {
    target.watchers.delete(this as ActorCell<unknown>);
    this.watching.delete(target);
  }

  private makeContext(): ActorContext<Msg> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context is a view of this cell
    const cell = this;
    const localCell = (ref: AnyRef): ActorCell<unknown> | undefined =>
      ref instanceof LocalRef ? (ref.cell as ActorCell<unknown>) : undefined;
    return {
      get self() {
        return cell.ref;
      },
      get path() {
        return cell.path;
      },
      get system() {
        return cell.host.system;
      },
      get sender() {
        return cell.currentSender;
      },
      get incarnation() {
        return cell.incarnation;
      },
      spawn: (factory, options) => cell.spawnChild(factory, options).ref,
      stop: (child) => {
        if (child === undefined || child === cell.ref) return cell.stopSelf();
        const target = localCell(child);
        if (target === undefined || target.parent !== (cell as ActorCell<unknown>)) {
          return Promise.reject(new Error(`${child.path} is not a child of ${cell.path}`));
        }
        return target.stop('normal');
      },
      children: () => cell.childList().map((c) => c.ref),
      child: <C>(name: string) => cell.children.get(name)?.ref as Ref<C> | undefined,
      watch: (target, message) => {
        const t = localCell(target);
        if (t !== undefined) {
          cell.watch(t, message);
          return;
        }
        cell.host.watchRemote(cell as ActorCell<unknown>, target, message);
        cell.watchesRemote = true;
      },
      unwatch: (target) => {
        const t = localCell(target);
        if (t !== undefined) cell.unwatch(t);
        else if (cell.watchesRemote) cell.host.unwatchRemote(cell as ActorCell<unknown>, target);
      },
      pipeToSelf: (work, onValue, onError) => {
        work.then(onValue, onError).then(
          (message) => cell.tellAccepted(message),
          // A mapping that throws is this actor's bug: shown as its failure, never an unhandled rejection.
          (error: unknown) => cell.publish({ type: 'actor-failed', path: cell.path, error, time: cell.clock.now() }),
        );
      },
      scheduleOnce: (delayMs, message) => {
        const epoch = cell.epoch;
        const handle: TimerHandle = cell.clock.setTimer(delayMs, () => {
          cell.oneShotTimers.delete(handle);
          if (epoch === cell.epoch) cell.tell(message, undefined);
        });
        cell.oneShotTimers.add(handle);
        return {
          cancel: () => {
            handle.cancel();
            cell.oneShotTimers.delete(handle);
          },
        };
      },
      schedulePeriodic: (key, intervalMs, message) => {
        if (!(intervalMs > 0)) throw new RangeError('periodic timer interval must be positive');
        cell.timers.get(key)?.cancel();
        const epoch = cell.epoch;
        const tick = (): void => {
          if (epoch !== cell.epoch) return;
          cell.tell(message, undefined);
          cell.timers.set(key, cell.clock.setTimer(intervalMs, tick));
        };
        cell.timers.set(key, cell.clock.setTimer(intervalMs, tick));
      },
      cancelTimer: (key) => {
        cell.timers.get(key)?.cancel();
        cell.timers.delete(key);
      },
      ask: (target, build, timeoutMs) => cell.host.ask(target, build, timeoutMs),
    };
  }
}
