// What a full mailbox does with one more message. Policy is data, chosen per actor at spawn.
//  - drop-newest: the arriving message is discarded (the sender's view of the queue is unchanged)
//  - drop-oldest: the head is evicted to make room (fresh data wins: position frames, telemetry)
//  - reject:      the arriving message goes to dead letters, where the retry actor may redeliver it
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'reject';

export interface MailboxOptions {
  /** Most messages the mailbox holds; further ones follow the overflow policy. */
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
}

export const DEFAULT_MAILBOX: MailboxOptions = { capacity: 10_000, overflow: 'reject' };

export function validateMailboxOptions(options: MailboxOptions): MailboxOptions {
  if (!Number.isInteger(options.capacity) || options.capacity < 1) {
    throw new RangeError(`mailbox capacity must be a positive integer, got ${options.capacity}`);
  }
  if (!['drop-newest', 'drop-oldest', 'reject'].includes(options.overflow)) {
    throw new RangeError(`unknown overflow policy ${String(options.overflow)}`);
  }
  return options;
}
