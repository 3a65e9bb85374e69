// The design's optional physics setting: spring rest lengths adjusted by SSSP distance. An edge
// whose ends lie at very different distances from the focus node gets a longer spring, so the
// layout opens into rings around the source:
//   rest = base * (1 + strength * min(|d(u) - d(v)|, scale) / scale)
// where scale is the largest finite distance in the result. Edges touching a node the result did
// not reach keep `base`. The physics actor applies the array when the setting is on.
import type { SsspResult } from './engine.ts';

export interface RestLengthOptions {
  readonly base: number;
  /** 0 leaves every spring at `base`; 1 lets the longest reach twice `base`. */
  readonly strength: number;
}

/** One rest length per edge, the edges given as parallel arrays of node ids. */
export function ssspRestLengths(
  result: SsspResult,
  sources: ArrayLike<number>,
  targets: ArrayLike<number>,
  options: RestLengthOptions,
): Float32Array {
  const distanceOf = new Map<number, number>();
  let scale = 0;
  for (const i of result.order) {
    const d = result.distance[i]!;
    distanceOf.set(result.ids[i]!, d);
    if (d > scale) scale = d;
  }
  const out = new Float32Array(sources.length).fill(options.base);
  if (scale === 0 || options.strength === 0) return out;
  for (let k = 0; k < sources.length; k++) {
    const du = distanceOf.get(sources[k]!);
    const dv = distanceOf.get(targets[k]!);
    if (du === undefined || dv === undefined) continue;
    out[k] = options.base * (1 + (options.strength * Math.min(Math.abs(du - dv), scale)) / scale);
  }
  return out;
}
