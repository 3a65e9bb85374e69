// The session's recent sequenced messages, kept so that a client that reconnects can be sent what
// it missed. Bounded by count and by bytes; the oldest go first. A body shared with other sessions
// is counted in full here all the same: the bound stays an upper bound.
//
// All the rings of one gateway also share a budget: per-session bounds alone would let 10,000
// sessions hold 4 MiB each. A ring that pushes past the shared budget drops its own oldest
// messages until the whole is within it, so the sessions that receive the most give up the most;
// a client whose missed messages are gone resumes into a fresh session and a keyframe.
import { wireLength, type WireMessage } from './wire-message.ts';

/** Bytes held by all the rings that share it, and the most they may hold together. */
export class ReplayBudget {
  held = 0;
  constructor(readonly maxBytes: number) {}
}

interface Entry {
  readonly seq: number;
  readonly message: WireMessage;
  readonly bytes: number;
}

export class ReplayRing {
  private readonly entries: Entry[] = [];
  private head = 0;
  private totalBytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
    private readonly budget = new ReplayBudget(Infinity),
  ) {}

  push(seq: number, message: WireMessage): void {
    const bytes = wireLength(message);
    this.entries.push({ seq, message, bytes });
    this.totalBytes += bytes;
    this.budget.held += bytes;
    while (
      this.size > this.maxMessages ||
      ((this.totalBytes > this.maxBytes || this.budget.held > this.budget.maxBytes) && this.size > 0)
    ) {
      const dropped = this.entries[this.head]!.bytes;
      this.totalBytes -= dropped;
      this.budget.held -= dropped;
      this.entries[this.head++] = undefined as unknown as Entry;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Empties the ring and gives its bytes back to the shared budget (the session has ended). */
  release(): void {
    this.budget.held -= this.totalBytes;
    this.totalBytes = 0;
    this.entries.length = 0;
    this.head = 0;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * The messages after `lastSeen`, or undefined when some of them are gone (or `lastSeen` is ahead
   * of `nextSeq`, the seq the next message will get).
   */
  after(lastSeen: number, nextSeq: number): WireMessage[] | undefined {
    if (lastSeen >= nextSeq) return undefined;
    if (lastSeen + 1 === nextSeq) return [];
    const oldest = this.size > 0 ? this.entries[this.head]!.seq : nextSeq;
    if (lastSeen + 1 < oldest) return undefined;
    const out: WireMessage[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.seq > lastSeen) out.push(e.message);
    }
    return out;
  }
}
