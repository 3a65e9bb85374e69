// A bounded FIFO of (message, sender) pairs. Both live side by side in one circular array so a
// queued message costs two slots and no wrapper object: the hot path of every tell.
import type { OverflowPolicy } from './overflow-policy.ts';

export type Enqueued<M, S> =
  | { readonly accepted: true; readonly evicted?: { readonly message: M; readonly sender: S | undefined } }
  | { readonly accepted: false };

export class Mailbox<M, S> {
  private slots: unknown[];
  private head = 0;
  private count = 0;
  /** Messages lost to the overflow policy since the mailbox was created. */
  overflowCount = 0;

  constructor(
    readonly capacity: number,
    readonly policy: OverflowPolicy,
  ) {
    this.slots = new Array<unknown>(2 * Math.min(capacity, 16));
  }

  get size(): number {
    return this.count;
  }

  /** Stores the message when there is room; otherwise applies the policy. */
  enqueue(message: M, sender: S | undefined): Enqueued<M, S> {
    if (this.count < this.capacity) {
      this.append(message, sender);
      return ACCEPTED;
    }
    this.overflowCount++;
    if (this.policy === 'drop-oldest') {
      const evicted = { message: this.peekMessage() as M, sender: this.peekSender() as S | undefined };
      this.dropHead();
      this.append(message, sender);
      return { accepted: true, evicted };
    }
    return REFUSED;
  }

  isEmpty(): boolean {
    return this.count === 0;
  }

  /** Sender of the head message; call before `dequeue`. */
  peekSender(): S | undefined {
    return this.slots[this.head + 1] as S | undefined;
  }

  peekMessage(): M {
    return this.slots[this.head] as M;
  }

  /** Removes the head pair; read it with peekMessage/peekSender first. */
  dropHead(): void {
    this.slots[this.head] = undefined;
    this.slots[this.head + 1] = undefined;
    this.head = (this.head + 2) % this.slots.length;
    this.count--;
  }

  /** Empties the mailbox, returning what it held in order. */
  drain(): { message: M; sender: S | undefined }[] {
    const out: { message: M; sender: S | undefined }[] = [];
    while (this.count > 0) {
      out.push({ message: this.peekMessage(), sender: this.peekSender() });
      this.dropHead();
    }
    return out;
  }

  private append(message: M, sender: S | undefined): void {
    if (2 * this.count === this.slots.length) this.grow();
    const tail = (this.head + 2 * this.count) % this.slots.length;
    this.slots[tail] = message;
    this.slots[tail + 1] = sender;
    this.count++;
  }

  private grow(): void {
    const length = this.slots.length;
    const next = new Array<unknown>(Math.min(2 * this.capacity, 2 * length));
    for (let i = 0; i < 2 * this.count; i++) next[i] = this.slots[(this.head + i) % length];
    this.slots = next;
    this.head = 0;
  }
}

const ACCEPTED = { accepted: true } as const;
const REFUSED = { accepted: false } as const;
