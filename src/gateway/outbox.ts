// The session's sequenced stream to its client: every reply, delta and event gets the next seq and
// a place in the replay ring, and goes to the socket when one is attached. Position frames and id
// tables are not in it (they are a lossy stream of their own, recovered by a keyframe).
import type { Hlc } from '../crdt/hlc.ts';
import { stampEnvelope } from '../protocol/envelope/sssp-result-envelope.ts';
import { encodeEnvelope, type PayloadT } from '../protocol/index.ts';
import type { Connection } from './connection.ts';
import { ReplayRing, type ReplayBudget } from './replay-ring.ts';

export class Outbox {
  /** The seq the next message gets; 1 is the first of a session. */
  nextSeq = 1;
  conn: Connection | undefined;
  private readonly ring: ReplayRing;

  constructor(replayMessages: number, replayBytes: number, budget?: ReplayBudget) {
    this.ring = new ReplayRing(replayMessages, replayBytes, budget);
  }

  /** The session has ended: its replay ring gives its bytes back to the shared budget. */
  release(): void {
    this.ring.release();
  }

  /** `hlc`: the stamp the payload carries (a graph change's commit, the write that stands). */
  send(payload: PayloadT, correlationId = 0, hlc?: Hlc): void {
    const seq = this.nextSeq++;
    const bytes = encodeEnvelope(hlc === undefined ? { seq, correlationId, payload } : { seq, correlationId, payload, hlc });
    this.ring.push(seq, bytes);
    if (this.conn?.open === true) this.conn.sendControl(bytes);
  }

  /**
   * An envelope encoded once for many receivers (seq and correlation id 0, see
   * protocol/envelope/sssp-result-envelope.ts): this session's head gets its seq and correlation id,
   * the body is shared.
   */
  sendTemplate(template: Uint8Array, correlationId = 0): void {
    const seq = this.nextSeq++;
    const parts = stampEnvelope(template, seq, correlationId);
    this.ring.push(seq, parts);
    if (this.conn?.open === true) this.conn.sendControl(parts);
  }

  /** Outside the sequence (seq 0): the handshake answer. */
  sendUnsequenced(payload: PayloadT, correlationId = 0): void {
    if (this.conn?.open === true) this.conn.sendControl(encodeEnvelope({ seq: 0, correlationId, payload }));
  }

  canResumeFrom(lastSeen: number): boolean {
    return this.ring.after(lastSeen, this.nextSeq) !== undefined;
  }

  /** Re-sends what came after `lastSeen`; false when some of it is gone. */
  replay(lastSeen: number): boolean {
    const missed = this.ring.after(lastSeen, this.nextSeq);
    if (missed === undefined) return false;
    for (const message of missed) this.conn?.sendControl(message);
    return true;
  }
}
