// The subscriber's side of a position stream: applies frames in order, says when it has lost its
// place (a sequence gap, or a frame for an id table it does not hold) so the session can send a
// KeyframeRequest, and never throws on bad input.
import { ok, type Result } from '../errors.ts';
import { applyFrame } from './apply.ts';
import { decodeFrame, type PositionFrame } from './decoder.ts';

export type ReadStatus = 'applied' | 'gap' | 'stale-epoch';

export class PositionStreamReader {
  private epoch = -1;
  private lastSeq = -1;
  private synced = false;
  positions = new Float32Array(0);
  velocities: Float32Array | null = null;

  constructor(private readonly withVelocity = false) {}

  /** Installs the id table (from a PositionIdTable message); frames must then start with a keyframe. */
  setIdTable(epoch: number, size: number): void {
    this.epoch = epoch;
    this.positions = new Float32Array(3 * size);
    this.velocities = this.withVelocity ? new Float32Array(3 * size) : null;
    this.synced = false;
  }

  get lastAppliedSeq(): number {
    return this.lastSeq;
  }

  accept(bytes: Uint8Array): Result<{ status: ReadStatus; frame: PositionFrame }> {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return decoded;
    const frame = decoded.value;
    if (frame.epoch !== this.epoch || 3 * frame.tableSize !== this.positions.length) {
      return ok({ status: 'stale-epoch', frame });
    }
    if (frame.kind === 'delta' && (!this.synced || frame.seq !== (this.lastSeq + 1) >>> 0)) {
      this.synced = false;
      return ok({ status: 'gap', frame });
    }
    applyFrame(frame, this.positions, this.velocities);
    this.lastSeq = frame.seq;
    this.synced = true;
    return ok({ status: 'applied', frame });
  }
}
