// One topology subscriber's place in its publisher's numbered changes (TopologyChange.seq). Mailboxes
// are bounded: a change can be rejected when one is full and then redelivered late by the
// dead-letter retry actor, or never. Applying the stream as if nothing were missing would leave a
// copy of the graph that no version of it ever was; the numbers say what to do with each change.
import type { TopologyChange } from './topology.ts';

/**
 * apply: the next change (or a reset); skip: already in the copy (a late redelivery), or the copy
 * waits for a reset; gap: a change went missing, ask the publisher for a fresh reset now.
 */
export type SequenceVerdict = 'apply' | 'skip' | 'gap';

export class ChangeSequence {
  /** The number of the last change applied (a reset: the last one it includes); undefined when unnumbered. */
  private last: number | undefined;
  private awaitingReset = false;
  /** Gaps seen so far. */
  gaps = 0;

  /** The copy is no good (a change did not fit it): only a reset applies from now on. */
  lost(): void {
    this.awaitingReset = true;
  }

  get waiting(): boolean {
    return this.awaitingReset;
  }

  accept(change: TopologyChange): SequenceVerdict {
    if (change.type === 'reset') {
      this.last = change.seq;
      this.awaitingReset = false;
      return 'apply';
    }
    if (this.awaitingReset) return 'skip';
    const seq = change.seq;
    if (seq === undefined || this.last === undefined) return 'apply';
    if (seq <= this.last) return 'skip';
    if (seq > this.last + 1) {
      this.gaps++;
      this.awaitingReset = true;
      return 'gap';
    }
    this.last = seq;
    return 'apply';
  }
}
