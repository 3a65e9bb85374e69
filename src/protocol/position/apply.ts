// Walks a decoded frame's entries and writes reconstructed float32 positions (and velocities) into
// the subscriber's arrays, computing exactly what the encoder assumed the subscriber holds.
import type { PositionFrame } from './decoder.ts';
import { PAGE_SIZE } from './header.ts';
import { dequantiseInto } from './dequantise.ts';
import { quantStep } from './quantise.ts';

/** Calls fn(index, entry) for each entry: keyframes in id-table order, deltas by moved index. */
export function forEachEntry(frame: PositionFrame, fn: (index: number, entry: number) => void): void {
  if (frame.kind === 'keyframe') {
    for (let i = 0; i < frame.count; i++) fn(i, i);
  } else if (frame.bitmap !== null) {
    const bits = frame.bitmap;
    let entry = 0;
    for (let b = 0; b < bits.length; b++) {
      let byte = bits[b]!;
      while (byte !== 0) {
        const bit = 31 - Math.clz32(byte & -byte);
        fn(b * 8 + bit, entry++);
        byte &= byte - 1;
      }
    }
  } else if (frame.pageCounts !== null && frame.indexLow !== null) {
    let entry = 0;
    for (let p = 0; p < frame.pageCounts.length; p++) {
      for (let end = entry + frame.pageCounts[p]!; entry < end; entry++) fn(p * PAGE_SIZE + frame.indexLow[entry]!, entry);
    }
  }
}

/** Applies a frame to arrays of 3 * tableSize floats. */
export function applyFrame(frame: PositionFrame, positions: Float32Array, velocities: Float32Array | null = null): void {
  if (frame.kind === 'keyframe') {
    dequantiseAll(frame.positions, frame.box, positions);
    if (velocities !== null && frame.velocities !== null && frame.velocityBox !== null) {
      dequantiseAll(frame.velocities, frame.velocityBox, velocities);
    }
    return;
  }
  const order = deltaOrder(frame);
  scatter(frame.positions, frame.box, order, positions);
  if (velocities !== null && frame.velocities !== null && frame.velocityBox !== null)
    scatter(frame.velocities, frame.velocityBox, order, velocities);
}

/** A delta's moved indices in entry order (a scratch array, valid until the next call). */
let orderScratch = new Uint32Array(0);
function deltaOrder(frame: PositionFrame): Uint32Array {
  if (orderScratch.length < frame.count) orderScratch = new Uint32Array(Math.max(frame.count, 2 * orderScratch.length));
  const order = orderScratch;
  let entry = 0;
  if (frame.bitmap !== null) {
    const bits = frame.bitmap;
    for (let b = 0; b < bits.length && entry < frame.count; b++) {
      let byte = bits[b]!;
      while (byte !== 0) {
        order[entry++] = b * 8 + 31 - Math.clz32(byte & -byte);
        byte &= byte - 1;
      }
    }
  } else if (frame.pageCounts !== null && frame.indexLow !== null) {
    const low = frame.indexLow;
    for (let p = 0; p < frame.pageCounts.length; p++) {
      const base = p * PAGE_SIZE;
      for (let end = entry + frame.pageCounts[p]!; entry < end; entry++) order[entry] = base + low[entry]!;
    }
  }
  return order;
}

/** out[index] = min + q[entry] * step per axis for the frame's entries (the decoder checked the counts). */
function scatter(q: Uint16Array, box: Float32Array, order: Uint32Array, out: Float32Array): void {
  const mx = box[0]!,
    my = box[1]!,
    mz = box[2]!;
  const sx = quantStep(mx, box[3]!),
    sy = quantStep(my, box[4]!),
    sz = quantStep(mz, box[5]!);
  const count = q.length / 3;
  for (let k = 0, e = 0; k < count; k++, e += 3) {
    const j = 3 * order[k]!;
    out[j] = mx + q[e]! * sx;
    out[j + 1] = my + q[e + 1]! * sy;
    out[j + 2] = mz + q[e + 2]! * sz;
  }
}

function dequantiseAll(q: Uint16Array, box: Float32Array, out: Float32Array): void {
  const mx = box[0]!,
    my = box[1]!,
    mz = box[2]!;
  dequantiseInto(q, mx, my, mz, quantStep(mx, box[3]!), quantStep(my, box[4]!), quantStep(mz, box[5]!), out);
}
