// The session's recent sequenced messages, kept so that a client that reconnects can be sent what
// it missed. Bounded by count and by bytes; the oldest go first. A body shared with other sessions
// is counted in full here all the same: the bound stays an upper bound.
import { wireLength, type WireMessage } from './wire-message.ts';

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
  ) {}

  push(seq: number, message: WireMessage): void {
    const bytes = wireLength(message);
    this.entries.push({ seq, message, bytes });
    this.totalBytes += bytes;
    while (this.size > this.maxMessages || (this.totalBytes > this.maxBytes && this.size > 0)) {
      this.totalBytes -= this.entries[this.head]!.bytes;
      this.entries[this.head++] = undefined as unknown as Entry;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
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
