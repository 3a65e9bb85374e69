// Node positions from the position stream, and the positions drawn between frames. Frames are
// applied in place to the reader's array (decoded straight from the socket's bytes, no copy); what
// is drawn moves from where it was drawn towards the latest frame over about one frame interval,
// so motion stays smooth whatever the frame rate. A gap or a frame for another id table asks the
// server for a keyframe. The id table also says each node's type and, under a folding filter, which
// hidden nodes fold into which shown one.
import { keyframeRequestPayload, PositionStreamReader, type PositionIdTableT, type KeyframeRequestT } from '../../src/protocol/index.ts';

export class PositionStore {
  private readonly reader = new PositionStreamReader();
  ids = new Uint32Array(0);
  kinds = new Uint8Array(0);
  /** Type code per slot (index into typeNames; 0: none), when the server knows types. */
  types = new Uint16Array(0);
  /** Every type the graph holds, by code (typeNames[0] is ""), whether selected or not. */
  typeNames: readonly string[] = [''];
  /** Under a folding filter: each folded node (a block) and the shown node it folds into. */
  readonly foldedInto = new Map<number, number>();
  readonly slotOf = new Map<number, number>();
  /** What is drawn now, x y z per slot. */
  display = new Float32Array(0);
  private from = new Float32Array(0);
  private frameAt = 0;
  private intervalMs = 1000 / 30;
  private hasFrame = false;
  private lastKeyframeAsk = -Infinity;
  epoch = -1;
  /**
   * Id tables taken so far: what tells a new table (epochs are the stream's own, and a new filter
   * is a new stream whose epochs start over).
   */
  tables = 0;
  frames = 0;
  /** ms between the server's frames, smoothed. */
  meanIntervalMs = 0;
  /** Local overrides (a node being dragged): drawn here whatever the stream says. */
  readonly overrides = new Map<number, [number, number, number]>();

  get count(): number {
    return this.ids.length;
  }

  setIdTable(table: PositionIdTableT): void {
    this.epoch = table.epoch;
    this.tables++;
    const previous = new Map<number, [number, number, number]>();
    for (const [id, slot] of this.slotOf)
      previous.set(id, [this.display[3 * slot]!, this.display[3 * slot + 1]!, this.display[3 * slot + 2]!]);
    this.ids = Uint32Array.from(table.ids);
    this.kinds = Uint8Array.from(table.kinds.length === table.ids.length ? table.kinds : table.ids.map(() => 0));
    this.types = Uint16Array.from(table.types.length === table.ids.length ? table.types : table.ids.map(() => 0));
    this.typeNames = table.typeNames.length > 0 ? table.typeNames.map((n) => (typeof n === 'string' ? n : '')) : [''];
    this.foldedInto.clear();
    table.folded.forEach((id, i) => this.foldedInto.set(id, table.foldedInto[i]!));
    this.slotOf.clear();
    this.ids.forEach((id, slot) => this.slotOf.set(id, slot));
    this.reader.setIdTable(table.epoch, this.ids.length);
    this.display = new Float32Array(3 * this.ids.length);
    this.from = new Float32Array(3 * this.ids.length);
    // Nodes that were drawn keep their place until the keyframe arrives.
    for (const [id, p] of previous) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined) this.display.set(p, 3 * slot);
    }
    this.hasFrame = false;
  }

  /** Applies one frame; returns a KeyframeRequest to send when the stream lost its place. */
  accept(bytes: Uint8Array, now: number): KeyframeRequestT | undefined {
    const result = this.reader.accept(bytes);
    if (!result.ok) return undefined;
    const status = result.value.status;
    if (status !== 'applied') {
      if (now - this.lastKeyframeAsk < 500) return undefined;
      this.lastKeyframeAsk = now;
      return keyframeRequestPayload(this.reader.lastAppliedSeq, this.epoch);
    }
    this.frames++;
    if (this.hasFrame) {
      const interval = Math.min(500, Math.max(4, now - this.frameAt));
      this.meanIntervalMs = this.meanIntervalMs === 0 ? interval : this.meanIntervalMs * 0.9 + interval * 0.1;
      this.intervalMs = this.meanIntervalMs;
      this.from.set(this.display);
    } else {
      // The first frame of a table: jump there.
      this.display.set(this.reader.positions);
      this.from.set(this.reader.positions);
    }
    this.hasFrame = true;
    this.frameAt = now;
    return undefined;
  }

  /** Moves what is drawn towards the latest frame; call once per rendered frame. */
  interpolate(now: number): void {
    if (!this.hasFrame) return;
    const target = this.reader.positions;
    const t = Math.min(1, (now - this.frameAt) / this.intervalMs);
    const from = this.from;
    const out = this.display;
    if (t >= 1) out.set(target);
    else for (let i = 0; i < out.length; i++) out[i] = from[i]! + (target[i]! - from[i]!) * t;
    for (const [id, p] of this.overrides) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined) out.set(p, 3 * slot);
    }
  }

  /** A node's type name ("" for none, undefined when not shown). */
  typeOf(id: number): string | undefined {
    const slot = this.slotOf.get(id);
    return slot === undefined ? undefined : (this.typeNames[this.types[slot] ?? 0] ?? '');
  }

  positionOf(id: number): [number, number, number] | undefined {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return undefined;
    return [this.display[3 * slot]!, this.display[3 * slot + 1]!, this.display[3 * slot + 2]!];
  }

  /** Centre and radius of what is drawn (for framing the camera). */
  bounds(): { centre: [number, number, number]; radius: number } {
    const n = this.count;
    if (n === 0) return { centre: [0, 0, 0], radius: 10 };
    const c: [number, number, number] = [0, 0, 0];
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) c[k]! += this.display[3 * i + k]! / n;
    let r = 0;
    for (let i = 0; i < n; i++) {
      const dx = this.display[3 * i]! - c[0];
      const dy = this.display[3 * i + 1]! - c[1];
      const dz = this.display[3 * i + 2]! - c[2];
      r = Math.max(r, Math.hypot(dx, dy, dz));
    }
    return { centre: c, radius: Math.max(r, 1) };
  }
}
