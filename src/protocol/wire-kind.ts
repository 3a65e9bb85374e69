// Tells the two kinds of binary message on one socket apart: Envelopes carry the FlatBuffers file
// identifier "VFEN" at bytes 4..7; position frames start with the magic "VFPF".
import { isPositionFrame } from './position/decoder.ts';

export type WireKind = 'envelope' | 'position-frame' | 'unknown';

export function wireKind(bytes: Uint8Array): WireKind {
  if (isPositionFrame(bytes)) return 'position-frame';
  if (bytes.byteLength >= 8 && bytes[4] === 0x56 && bytes[5] === 0x46 && bytes[6] === 0x45 && bytes[7] === 0x4e) {
    return 'envelope';
  }
  return 'unknown';
}
