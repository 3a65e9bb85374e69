// The dead-letter actor: hears every dead letter on the event stream, redelivers the retryable
// ones with exponential backoff, and hands what still fails after `maxAttempts` (or what it has no
// room for) to the permanent-failure sink. Redelivery uses tryDeliver, which does not raise a new
// dead letter, so a failing retry cannot feed itself.
import { backoffDelay, type BackoffOptions } from '../shared/backoff.ts';
import type { ActorContext, ActorFactory } from '../runtime/actor.ts';
import type { DeadLetter, DeadLetterReason } from '../runtime/dead-letter.ts';
import type { Ref } from '../runtime/ref.ts';
import type { GiveUpReason, PermanentFailureSink } from './permanent-failure-sink.ts';

export interface RetryPolicy {
  /** Redelivery attempts before a letter is a permanent failure. */
  readonly maxAttempts: number;
  readonly backoff: Pick<BackoffOptions, 'minMs' | 'maxMs' | 'randomFactor'>;
  /** Letters waiting for a retry at once; more go straight to the sink. */
  readonly maxPending: number;
  readonly retryable: readonly DeadLetterReason[];
  /** Recipients (path prefixes) whose messages are never worth a late redelivery, e.g. sessions. */
  readonly skipRecipients: readonly string[];
}

/** Its name under /app/dead-letters (the application tree, src/supervisors/app-tree.ts). */
export const RETRY_NAME = 'retry';

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  backoff: { minMs: 200, maxMs: 10_000, randomFactor: 0.2 },
  maxPending: 10_000,
  // Not retried: drops the mailbox policy asked for, and replies to asks that already failed.
  retryable: ['mailbox-full', 'stash-full', 'recipient-unknown', 'recipient-stopped', 'transport-failed'],
  // The application tree adds its gateway's sessions (supervisors/app-tree.ts).
  skipRecipients: [],
};

export interface RetryStats {
  readonly pending: number;
  readonly redelivered: number;
  readonly gaveUp: number;
}

export type RetryMsg =
  | { readonly type: 'dead-letter'; readonly letter: DeadLetter }
  | { readonly type: 'retry'; readonly id: number }
  | { readonly type: 'stats'; readonly replyTo: Ref<RetryStats> };

interface PendingRetry {
  readonly letter: DeadLetter;
  attempts: number;
}

/** What one incarnation of the retry actor holds. */
interface Retrier {
  readonly ctx: ActorContext<RetryMsg>;
  readonly sink: PermanentFailureSink;
  readonly policy: RetryPolicy;
  readonly pending: Map<number, PendingRetry>;
  nextId: number;
  redelivered: number;
  gaveUp: number;
  unsubscribe: (() => void) | undefined;
}

export function deadLetterRetry(sink: PermanentFailureSink, policy: RetryPolicy = DEFAULT_RETRY_POLICY): ActorFactory<RetryMsg> {
  return (ctx) => {
    const s: Retrier = { ctx, sink, policy, pending: new Map(), nextId: 1, redelivered: 0, gaveUp: 0, unsubscribe: undefined };
    return {
      preStart: () => subscribe(s),
      postRestart: () => subscribe(s),
      postStop: () => flushPending(s),
      preRestart: () => flushPending(s),
      receive: (msg) => receive(s, msg),
    };
  };
}

async function receive(s: Retrier, msg: RetryMsg): Promise<void> {
  switch (msg.type) {
    case 'dead-letter':
      return queue(s, msg.letter);
    case 'retry':
      return retry(s, msg.id);
    case 'stats':
      return msg.replyTo.tell({ pending: s.pending.size, redelivered: s.redelivered, gaveUp: s.gaveUp });
    default:
      return unreachable(msg);
  }
}

async function queue(s: Retrier, letter: DeadLetter): Promise<void> {
  if (s.pending.size >= s.policy.maxPending) return giveUp(s, letter, 0, 'retry-queue-full');
  const id = s.nextId++;
  const entry = { letter, attempts: 0 };
  s.pending.set(id, entry);
  schedule(s, id, entry);
}

async function retry(s: Retrier, id: number): Promise<void> {
  const entry = s.pending.get(id);
  if (entry === undefined) return;
  entry.attempts++;
  const { letter } = entry;
  const system = s.ctx.system;
  const sender = letter.sender === undefined ? undefined : system.resolve<unknown>(letter.sender);
  const result = system.tryDeliver(letter.recipient, letter.message, sender);
  if (result === 'delivered') {
    s.pending.delete(id);
    s.redelivered++;
  } else if (entry.attempts >= s.policy.maxAttempts) {
    s.pending.delete(id);
    await giveUp(s, letter, entry.attempts, result);
  } else {
    schedule(s, id, entry);
  }
}

async function giveUp(s: Retrier, letter: DeadLetter, attempts: number, lastResult: GiveUpReason): Promise<void> {
  s.gaveUp++;
  await s.sink.record({ letter, attempts, lastResult, time: s.ctx.system.clock.now() });
}

function schedule(s: Retrier, id: number, entry: PendingRetry): void {
  const delay = backoffDelay({ ...s.policy.backoff, resetAfterMs: 0, stashCapacity: 0 }, entry.attempts + 1, s.ctx.system.random());
  s.ctx.scheduleOnce(delay, { type: 'retry', id });
}

function subscribe(s: Retrier): void {
  const { ctx, policy } = s;
  s.unsubscribe = ctx.system.events.subscribe((event) => {
    if (event.type !== 'dead-letter') return;
    const letter = event.letter;
    // An ask's requester was answered already; retrying would answer nobody.
    if (letter.correlationId !== undefined || !policy.retryable.includes(letter.reason)) return;
    if (policy.skipRecipients.some((prefix) => letter.recipient.startsWith(prefix))) return;
    if (letter.recipient === ctx.path) {
      // Our own mailbox is full: no room to queue it (a message to self would be lost the same
      // way), but it must not vanish: straight to the sink, from here.
      void giveUp(s, letter, 0, 'retry-queue-full');
      return;
    }
    ctx.self.tell({ type: 'dead-letter', letter });
  });
}

async function flushPending(s: Retrier): Promise<void> {
  s.unsubscribe?.();
  s.unsubscribe = undefined;
  const entries = [...s.pending.values()];
  s.pending.clear();
  for (const entry of entries) await giveUp(s, entry.letter, entry.attempts, 'interrupted');
}

function unreachable(value: never): never {
  throw new Error(`dead-letter retry: unhandled message ${String((value as { type?: unknown }).type)}`);
}
