// What an actor is (a receive function plus optional lifecycle hooks, created by a factory so a
// restart can build a fresh one) and what it may do (its context).
import type { BackoffOptions } from '../shared/backoff.ts';
import type { TimerHandle } from '../shared/clock.ts';
import type { Priority } from './dispatcher.ts';
import type { MailboxOptions } from './overflow-policy.ts';
import type { Ref } from './ref.ts';
import type { ChildRestart, SupervisorStrategy } from './supervision.ts';
import type { ActorSystem } from './system.ts';

export type MaybePromise = void | Promise<void>;

export interface Actor<Msg> {
  /** Handles one message; the next is not delivered until a returned promise settles. */
  receive(message: Msg, ctx: ActorContext<Msg>): MaybePromise;
  /** Before the first message; messages sent meanwhile wait in the mailbox. */
  preStart?(ctx: ActorContext<Msg>): MaybePromise;
  /** After the actor and all its children have stopped. */
  postStop?(ctx: ActorContext<Msg>): MaybePromise;
  /** On the failed instance, before it is discarded for a restart (defaults to postStop). */
  preRestart?(error: unknown, ctx: ActorContext<Msg>): MaybePromise;
  /** On the fresh instance after a restart (defaults to preStart). */
  postRestart?(error: unknown, ctx: ActorContext<Msg>): MaybePromise;
}

/** Called at start and at every restart: each call must return an actor with fresh state. */
export type ActorFactory<Msg> = (ctx: ActorContext<Msg>) => Actor<Msg>;

export interface SpawnOptions {
  readonly name: string;
  readonly mailbox?: MailboxOptions;
  /** How this child's parent treats its end; default permanent. */
  readonly restart?: ChildRestart;
  /** Overrides the parent strategy's backoff for this child. */
  readonly backoff?: BackoffOptions;
  /** How this actor supervises its own children; default: restart the failed child alone, with backoff (supervision.ts). */
  readonly supervision?: SupervisorStrategy;
  /** Messages handled in one go before other actors get their turn. */
  readonly throughput?: number;
  /** 'high' for the control plane, 'low' for bulk work that may wait behind the others (dispatcher.ts); default normal. */
  readonly priority?: Priority;
  /** How long stopping waits for a running handler and postStop before giving up on them. */
  readonly shutdownTimeoutMs?: number;
}

export interface ActorContext<Msg> {
  readonly self: Ref<Msg>;
  readonly path: string;
  readonly system: ActorSystem;
  /** Sender of the message being handled, when the teller gave one. */
  readonly sender: Ref<unknown> | undefined;
  /** 0 for the first instance, +1 per restart. */
  readonly incarnation: number;
  spawn<C>(factory: ActorFactory<C>, options: SpawnOptions): Ref<C>;
  /** Stops a child, or this actor itself when no ref is given. */
  stop(child?: Ref<unknown>): Promise<void>;
  children(): readonly Ref<unknown>[];
  child<C>(name: string): Ref<C> | undefined;
  /** Death watch: `message` is delivered to this actor when `target` stops for good. */
  watch(target: Ref<unknown>, message: Msg): void;
  unwatch(target: Ref<unknown>): void;
  /** A timer owned by this incarnation: cancelled by stop and restart. */
  scheduleOnce(delayMs: number, message: Msg): TimerHandle;
  /** Replaces any timer under `key`; cancelled by stop and restart. */
  schedulePeriodic(key: string, intervalMs: number, message: Msg): void;
  cancelTimer(key: string): void;
  ask<Req, Res>(target: Ref<Req>, build: (replyTo: Ref<Res>) => Req, timeoutMs: number): Promise<Res>;
  /**
   * Async work ends in a message to this actor: when `work` settles, the message `onValue` or
   * `onError` makes is handled in turn like any other. It goes into the mailbox even when the
   * mailbox is full: it completes work this actor already accepted (so their number is bounded by
   * what it accepted), and refusing it would lose that work's outcome. A later incarnation gets it
   * too: what the work did happened whatever became of the actor that started it.
   */
  pipeToSelf<T>(work: Promise<T>, onValue: (value: T) => Msg, onError: (error: unknown) => Msg): void;
}
