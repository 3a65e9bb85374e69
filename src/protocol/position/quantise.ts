// 16-bit quantisation of coordinates against a box, shared by encoder and decoder so that both sides
// reconstruct bit-identical float32 positions.
//
// Error bound: q = round((p - min) / step) with step = (max - min) / 65535, so the reconstruction
// min + q * step is within step / 2 = (max - min) / 65535 / 2 of p on each axis, plus the rounding of
// the result to float32 (half an ulp of the coordinate, 2^-24 of its magnitude).

export const Q_MAX = 65535;

export function quantStep(min: number, max: number): number {
  return (max - min) / Q_MAX;
}

/** Largest difference, on one axis, between a position inside [min, max] and its reconstruction. */
export function quantisationErrorBound(min: number, max: number): number {
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  return quantStep(min, max) / 2 + magnitude * 2 ** -24;
}

export function dequantise(q: number, min: number, step: number): number {
  return min + q * step;
}
