// Walks a decoded frame's entries and writes reconstructed float32 positions (and velocities) into
// the subscriber's arrays, computing exactly what the encoder assumed the subscriber holds.
import type { PositionFrame } from './decoder.ts';
import { PAGE_SIZE } from './header.ts';
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

function writeAxes(q: Uint16Array, box: Float32Array, index: number, entry: number, out: Float32Array): void {
  for (let a = 0; a < 3; a++) {
    const min = box[a]!;
    out[3 * index + a] = min + q[3 * entry + a]! * quantStep(min, box[a + 3]!);
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
  const vq = velocities !== null ? frame.velocities : null;
  const vbox = frame.velocityBox;
  forEachEntry(frame, (index, entry) => {
    writeAxes(frame.positions, frame.box, index, entry, positions);
    if (vq !== null && vbox !== null && velocities !== null) writeAxes(vq, vbox, index, entry, velocities);
  });
}

function dequantiseAll(q: Uint16Array, box: Float32Array, out: Float32Array): void {
  const mx = box[0]!, my = box[1]!, mz = box[2]!;
  const sx = quantStep(mx, box[3]!), sy = quantStep(my, box[4]!), sz = quantStep(mz, box[5]!);
  for (let j = 0; j < q.length; j += 3) {
    out[j] = mx + q[j]! * sx;
    out[j + 1] = my + q[j + 1]! * sy;
    out[j + 2] = mz + q[j + 2]! * sz;
  }
}
