// A bounded FIFO of (message, sender) pairs over circular arrays whose length is a power of two
// (index arithmetic is a mask). Senders live in a parallel array that exists only once a message
// with a sender has been queued: most tells carry none, and then a queued message costs one slot.
// This is the hot path of every tell.
import type { OverflowPolicy } from './overflow-policy.ts';

/** Outcomes of an enqueue: stored; stored after evicting the head (see `evicted*`); refused. */
export const STORED = 0;
export const STORED_EVICTING = 1;
export const REFUSED = 2;
export type Enqueued = typeof STORED | typeof STORED_EVICTING | typeof REFUSED;

const INITIAL_SLOTS = 64;

export class Mailbox<M, S> {
  private messages: (M | undefined)[];
  private senders: (S | undefined)[] | undefined;
  private mask: number;
  private head = 0;
  private count = 0;
  /** Messages lost to the overflow policy since the mailbox was created. */
  overflowCount = 0;
  /** The pair evicted by the last `STORED_EVICTING` enqueue (drop-oldest). */
  evictedMessage: M | undefined;
  evictedSender: S | undefined;
  /** Sender of the message last returned by `dequeue`. */
  lastSender: S | undefined;

  constructor(
    readonly capacity: number,
    readonly policy: OverflowPolicy,
  ) {
    const length = nextPowerOfTwo(Math.min(capacity, INITIAL_SLOTS));
    this.messages = new Array<M | undefined>(length);
    this.mask = length - 1;
  }

  get size(): number {
    return this.count;
  }

  isEmpty(): boolean {
    return this.count === 0;
  }

  /** Stores the message when there is room; otherwise applies the policy. */
  enqueue(message: M, sender: S | undefined): Enqueued {
    if (this.count < this.capacity) {
      this.append(message, sender);
      return STORED;
    }
    this.overflowCount++;
    if (this.policy !== 'drop-oldest') return REFUSED;
    this.evictedMessage = this.dequeue();
    this.evictedSender = this.lastSender;
    this.append(message, sender);
    return STORED_EVICTING;
  }

  /**
   * Stores the message whatever the bound (growing the ring if it must): for completions of work
   * the owner already accepted, whose number that work bounds.
   */
  force(message: M, sender: S | undefined): void {
    this.append(message, sender);
  }

  /** Removes and returns the head message (its sender lands in `lastSender`); undefined when empty. */
  dequeue(): M | undefined {
    if (this.count === 0) return undefined;
    const head = this.head;
    const message = this.messages[head];
    this.messages[head] = undefined;
    // Without a senders array no message ever had a sender, and lastSender is still undefined.
    const senders = this.senders;
    if (senders !== undefined) {
      this.lastSender = senders[head];
      senders[head] = undefined;
    }
    this.head = (head + 1) & this.mask;
    this.count--;
    return message;
  }

  /** Empties the mailbox, returning what it held in order. */
  drain(): { message: M; sender: S | undefined }[] {
    const out: { message: M; sender: S | undefined }[] = [];
    while (this.count > 0) {
      const message = this.dequeue() as M;
      out.push({ message, sender: this.lastSender });
    }
    this.lastSender = undefined;
    return out;
  }

  private append(message: M, sender: S | undefined): void {
    if (this.count === this.messages.length) this.grow();
    const tail = (this.head + this.count) & this.mask;
    this.messages[tail] = message;
    if (sender !== undefined) {
      this.senders ??= new Array<S | undefined>(this.messages.length);
      this.senders[tail] = sender;
    } else if (this.senders !== undefined) {
      this.senders[tail] = undefined;
    }
    this.count++;
  }

  private grow(): void {
    const length = this.messages.length;
    this.messages = this.reordered(this.messages, 2 * length);
    if (this.senders !== undefined) this.senders = this.reordered(this.senders, 2 * length);
    this.mask = 2 * length - 1;
    this.head = 0;
  }

  private reordered<T>(ring: T[], length: number): T[] {
    const next = new Array<T>(length);
    for (let i = 0; i < this.count; i++) next[i] = ring[(this.head + i) & this.mask]!;
    return next;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
