// The settings actor: owns the authoritative settings tree. A change is validated, made durable in
// the delta log, applied, answered (with the deltas: the client reconciles against them) and
// broadcast: at once to `immediate` subscribers (the physics actor applies physics.* live), and in
// batches to the other clients. On (re)start it rebuilds the tree from the log before it takes a
// message.
import { compareHlc, HybridClock, ZERO_HLC } from '../crdt/hlc.ts';
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { BroadcastBatcher } from '../settings/broadcast-batcher.ts';
import type { SettingsDelta } from '../settings/delta.ts';
import type { SettingsDeltaLog } from '../settings/delta-log.ts';
import type { SettingsBroadcast, SettingsMsg } from '../settings/protocol.ts';
import { SettingsTree } from '../settings/settings-tree.ts';
import { Subscriptions } from './subscriptions.ts';

export interface SettingsActorOptions {
  readonly log: SettingsDeltaLog;
  /** Broadcast batching to clients: at most one batch per interval, or per maxBatch changes. */
  readonly batchIntervalMs?: number;
  readonly maxBatch?: number;
  /** Most subscribers; more are refused (a subscribe beyond it is dropped with a dead letter). */
  readonly maxSubscribers?: number;
  /** Wall-clock milliseconds under the deltas' HLC stamps (injectable for tests). */
  readonly wallClock?: () => number;
  /** This node's id in HLC stamps (u32, default 1). */
  readonly hlcNode?: number;
}

interface Subscriber {
  readonly ref: Ref<SettingsBroadcast>;
  readonly client: string;
  readonly prefix: string;
  readonly immediate: boolean;
}

const MAX_CHANGES_PER_SET = 1_024;

/**
 * The store is control plane: a change is a few microseconds of work that a user is waiting on,
 * so it runs ahead of the position fan-out and the layout's ticks (see the dispatcher).
 */
/** Its name under /app/settings (the application tree, src/supervisors/app-tree.ts). */
export const SETTINGS_STORE_NAME = 'store';

export const SETTINGS_SCHEDULING = { priority: 'high' } as const;

/** What one incarnation of the store holds; the values are rebuilt from the log at start. */
interface Store {
  readonly ctx: ActorContext<SettingsMsg>;
  readonly options: SettingsActorOptions;
  readonly subscribers: Subscriptions<Subscriber>;
  readonly tree: SettingsTree;
  readonly clock: HybridClock;
  readonly batcher: BroadcastBatcher<SettingsDelta>;
}

type MsgOf<T extends SettingsMsg['type']> = Extract<SettingsMsg, { type: T }>;

export function settingsActor(options: SettingsActorOptions): ActorFactory<SettingsMsg> {
  // Subscriptions outlive a restart of the store (the sessions that made them do not know of it);
  // the values do not: they are rebuilt from the log. Local subscribers are death-watched.
  const subscribers = new Subscriptions<Subscriber>(options.maxSubscribers ?? 10_000);
  return (ctx) => {
    const s: Store = {
      ctx,
      options,
      subscribers,
      tree: new SettingsTree(),
      // Deltas are stamped on a hybrid logical clock, which never goes back: not when the wall clock
      // is stepped back, and not across a restart (it starts past the newest stamp in the log).
      clock: new HybridClock(options.hlcNode ?? 1, options.wallClock ?? Date.now),
      batcher: new BroadcastBatcher<SettingsDelta>(ctx.system.clock, options.batchIntervalMs ?? 100, options.maxBatch ?? 10, (batch) =>
        broadcastBatch(subscribers, batch),
      ),
    };
    return {
      preStart: () => restore(s),
      postStop: () => s.batcher.dispose(),
      preRestart: () => s.batcher.dispose(),
      receive: (msg) => receive(s, msg),
    };
  };
}

function gone(subscriber: Ref<SettingsBroadcast>): SettingsMsg {
  return { type: 'unsubscribe', subscriber };
}

async function restore(s: Store): Promise<void> {
  const logged = await s.options.log.load();
  s.tree.restore(logged);
  let newest = ZERO_HLC;
  for (const d of logged) if (compareHlc(d.timestamp, newest) > 0) newest = d.timestamp;
  s.clock.observeTrusted(newest);
  s.subscribers.rewatch(s.ctx, gone);
}

async function receive(s: Store, msg: SettingsMsg): Promise<void> {
  switch (msg.type) {
    case 'get':
      return msg.replyTo.tell(s.tree.snapshot(msg.paths));
    case 'subscribe':
      s.subscribers.add(
        s.ctx,
        { ref: msg.subscriber, client: msg.client, prefix: msg.prefix ?? '', immediate: msg.immediate ?? false },
        gone(msg.subscriber),
      );
      return;
    case 'unsubscribe':
      s.subscribers.delete(msg.subscriber);
      return;
    case 'set':
      return set(s, msg);
    default:
      return unreachable(msg);
  }
}

async function set(s: Store, msg: MsgOf<'set'>): Promise<void> {
  if (msg.changes.length === 0 || msg.changes.length > MAX_CHANGES_PER_SET) {
    msg.replyTo?.tell({
      ok: false,
      errors: [{ path: '', code: 'invalid-value', message: `a batch holds 1..${MAX_CHANGES_PER_SET} changes` }],
    });
    return;
  }
  const plan = s.tree.plan(msg.changes, msg.client, () => s.clock.tick());
  if (!plan.ok) {
    msg.replyTo?.tell(plan);
    return;
  }
  try {
    await s.options.log.append(plan.deltas);
  } catch (error) {
    msg.replyTo?.tell({
      ok: false,
      errors: msg.changes.map((c) => ({ path: c.path, code: 'unavailable' as const, message: 'settings storage is unavailable' })),
    });
    throw error; // restart: rebuild from what the log really holds
  }
  s.tree.commit(plan.deltas);
  msg.replyTo?.tell({ ok: true, deltas: plan.deltas, version: s.tree.version });
  for (const sub of s.subscribers.values()) {
    if (!sub.immediate) continue;
    const deltas = plan.deltas.filter((d) => d.path.startsWith(sub.prefix));
    if (deltas.length > 0) sub.ref.tell({ type: 'settings-deltas', deltas });
  }
  s.batcher.add(plan.deltas);
}

/** A batch to the subscribers that are not `immediate` (those had each change at once). */
function broadcastBatch(subscribers: Subscriptions<Subscriber>, batch: readonly SettingsDelta[]): void {
  for (const sub of subscribers.values()) {
    if (sub.immediate) continue;
    // The originating client has its answer already; the others get the change.
    const deltas = batch.filter((d) => d.client !== sub.client && d.path.startsWith(sub.prefix));
    if (deltas.length > 0) sub.ref.tell({ type: 'settings-deltas', deltas });
  }
}

function unreachable(value: never): never {
  throw new Error(`settings: unhandled message ${String((value as { type?: unknown }).type)}`);
}
