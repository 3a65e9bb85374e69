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
  // A client session wants the latest frame or broadcast, not an old one late and out of order.
  skipRecipients: ['/app/gateway/'],
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

export function deadLetterRetry(sink: PermanentFailureSink, policy: RetryPolicy = DEFAULT_RETRY_POLICY): ActorFactory<RetryMsg> {
  return (ctx) => {
    const pending = new Map<number, PendingRetry>();
    let nextId = 1;
    let redelivered = 0;
    let gaveUp = 0;
    let unsubscribe: (() => void) | undefined;

    const giveUp = async (letter: DeadLetter, attempts: number, lastResult: GiveUpReason): Promise<void> => {
      gaveUp++;
      await sink.record({ letter, attempts, lastResult, time: ctx.system.clock.now() });
    };

    const schedule = (id: number, entry: PendingRetry): void => {
      const delay = backoffDelay({ ...policy.backoff, resetAfterMs: 0, stashCapacity: 0 }, entry.attempts + 1, ctx.system.random());
      ctx.scheduleOnce(delay, { type: 'retry', id });
    };

    const subscribe = (c: ActorContext<RetryMsg>): void => {
      unsubscribe = c.system.events.subscribe((event) => {
        if (event.type !== 'dead-letter') return;
        const letter = event.letter;
        // An ask's requester was answered already; retrying would answer nobody.
        if (letter.correlationId !== undefined || !policy.retryable.includes(letter.reason)) return;
        if (policy.skipRecipients.some((prefix) => letter.recipient.startsWith(prefix))) return;
        if (letter.recipient === c.path) {
          // Our own mailbox is full: no room to queue it, but it must not vanish.
          void giveUp(letter, 0, 'retry-queue-full');
          return;
        }
        c.self.tell({ type: 'dead-letter', letter });
      });
    };

    const flushPending = async (): Promise<void> => {
      unsubscribe?.();
      unsubscribe = undefined;
      const entries = [...pending.values()];
      pending.clear();
      for (const entry of entries) await giveUp(entry.letter, entry.attempts, 'interrupted');
    };

    return {
      preStart: subscribe,
      postRestart: (_error, c) => subscribe(c),
      postStop: flushPending,
      preRestart: flushPending,
      async receive(msg) {
        switch (msg.type) {
          case 'dead-letter': {
            if (pending.size >= policy.maxPending) {
              await giveUp(msg.letter, 0, 'retry-queue-full');
              return;
            }
            const id = nextId++;
            const entry = { letter: msg.letter, attempts: 0 };
            pending.set(id, entry);
            schedule(id, entry);
            return;
          }
          case 'retry': {
            const entry = pending.get(msg.id);
            if (entry === undefined) return;
            entry.attempts++;
            const { letter } = entry;
            const sender = letter.sender === undefined ? undefined : ctx.system.resolve<unknown>(letter.sender);
            const result = ctx.system.tryDeliver(letter.recipient, letter.message, sender);
            if (result === 'delivered') {
              pending.delete(msg.id);
              redelivered++;
            } else if (entry.attempts >= policy.maxAttempts) {
              pending.delete(msg.id);
              await giveUp(letter, entry.attempts, result);
            } else {
              schedule(msg.id, entry);
            }
            return;
          }
          case 'stats':
            msg.replyTo.tell({ pending: pending.size, redelivered, gaveUp });
            return;
        }
      },
    };
  };
}
