// A keyframe for one subscriber that fell out of a shared stream (it joined late, resumed, or had
// frames dropped while it read slowly). It encodes what the stream's in-sync subscribers hold now
// (the shared encoder's reconstruction) and carries the seq of the stream's latest frame, so the
// shared deltas that follow (seq + 1, ...) apply on top of it. The re-quantisation costs at most
// half a step of this keyframe's box, far below the stream's delta threshold.
import { FLAG_VELOCITY, FRAME_MAGIC, FRAME_VERSION, FrameKind, Offset, bodyOffset } from '../protocol/position/header.ts';
import { Q_MAX } from '../protocol/position/quantise.ts';

export function catchUpKeyframe(seq: number, epoch: number, positions: Float32Array, velocities: Float32Array | null): Uint8Array {
  const n = positions.length / 3;
  const flags = velocities !== null ? FLAG_VELOCITY : 0;
  const body = bodyOffset(flags);
  const bytes = new Uint8Array(body + 6 * n * (velocities !== null ? 2 : 1));
  const view = new DataView(bytes.buffer);
  view.setUint32(Offset.magic, FRAME_MAGIC, true);
  view.setUint8(Offset.version, FRAME_VERSION);
  view.setUint8(Offset.kind, FrameKind.Keyframe);
  view.setUint8(Offset.flags, flags);
  view.setUint8(Offset.reserved, 0);
  view.setUint32(Offset.seq, seq >>> 0, true);
  view.setUint32(Offset.epoch, epoch >>> 0, true);
  view.setUint32(Offset.count, n, true);
  view.setUint32(Offset.tableSize, n, true);
  quantiseInto(positions, view, Offset.box, new Uint16Array(bytes.buffer, body, 3 * n));
  if (velocities !== null) quantiseInto(velocities, view, Offset.velocityBox, new Uint16Array(bytes.buffer, body + 6 * n, 3 * n));
  return bytes;
}

function quantiseInto(v: Float32Array, view: DataView, boxAt: number, q: Uint16Array): void {
  const box = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  for (let j = 0; j < v.length; j += 3) {
    for (let a = 0; a < 3; a++) {
      const x = v[j + a]!;
      if (x < box[a]!) box[a] = x;
      if (x > box[a + 3]!) box[a + 3] = x;
    }
  }
  if (v.length === 0) box.fill(0);
  // The decoder reads the box as float32: quantise against exactly that, widened outwards so that
  // the rounding never cuts a value off.
  for (let a = 0; a < 3; a++) {
    box[a] = roundDown(box[a]!);
    box[a + 3] = roundUp(box[a + 3]!);
  }
  for (let a = 0; a < 6; a++) view.setFloat32(boxAt + 4 * a, box[a]!, true);
  const scale = [0, 1, 2].map((a) => {
    const extent = box[a + 3]! - box[a]!;
    return extent > 0 ? Q_MAX / extent : 0;
  });
  for (let j = 0; j < v.length; j += 3) {
    for (let a = 0; a < 3; a++) {
      const qa = Math.round((v[j + a]! - box[a]!) * scale[a]!);
      q[j + a] = qa < 0 ? 0 : qa > Q_MAX ? Q_MAX : qa;
    }
  }
}

function roundDown(x: number): number {
  const f = Math.fround(x);
  return f <= x ? f : nextFloat32(f, -1);
}

function roundUp(x: number): number {
  const f = Math.fround(x);
  return f >= x ? f : nextFloat32(f, 1);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function nextFloat32(f: number, direction: 1 | -1): number {
  if (f === 0) return direction * 1.4e-45;
  f32[0] = f;
  u32[0] = u32[0]! + (f > 0 === direction > 0 ? 1 : -1);
  return f32[0];
}
