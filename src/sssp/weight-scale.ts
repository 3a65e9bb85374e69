// The spread of a graph's arc weights, kept up to date edge by edge: a count of live weights per
// binary exponent. The bucket queue (bucket-run.ts) needs a power of two at most the smallest
// weight and a bound on the largest; the lowest and highest occupied exponents give both without
// a scan of the arcs, and a removal never leaves a stale minimum behind (the counts go down).

/** IEEE-754 binary64 exponent bias. */
const BIAS = 1023;
/** Biased exponent of Infinity and NaN. */
const SPECIAL = 2047;

/** Which 32-bit word of a float64 holds its exponent (1 on little-endian hosts). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Powers of two around the positive finite weights: every such weight w has floor <= w < ceil. */
export interface WeightScale {
  /** The largest power of two at most the smallest positive finite weight. */
  readonly floor: number;
  /** A power of two above every finite weight. */
  readonly ceil: number;
  /** True when some weight is zero (no bucket width fits under it). */
  readonly zero: boolean;
}

export class WeightExponents {
  /** Live positive finite weights per biased exponent (0: subnormal). */
  private readonly counts = new Int32Array(SPECIAL);
  private zeros = 0;
  private readonly scratch = new Float64Array(1);
  private readonly bits = new Uint32Array(this.scratch.buffer);

  /** Counts `w` in (+1) or out (-1); infinite, negative and NaN weights are not counted. */
  add(w: number, sign: 1 | -1): void {
    if (w === 0) {
      this.zeros += sign;
      return;
    }
    if (!(w > 0) || w === Infinity) return;
    this.scratch[0] = w;
    this.counts[(this.bits[HI]! >>> 20) & 0x7ff]! += sign;
  }

  clear(): void {
    this.counts.fill(0);
    this.zeros = 0;
  }

  /** The scale of the weights counted now; undefined when there is no finite weight at all. */
  scale(): WeightScale | undefined {
    let lo = 0;
    while (lo < SPECIAL && this.counts[lo] === 0) lo++;
    if (lo === SPECIAL) return this.zeros > 0 ? { floor: 0, ceil: 0, zero: true } : undefined;
    let hi = SPECIAL - 1;
    while (this.counts[hi] === 0) hi--;
    // A subnormal minimum has no exact power of two at or below it worth using as a width.
    const floor = lo === 0 ? 0 : 2 ** (lo - BIAS);
    return { floor, ceil: 2 ** (hi - BIAS + 1), zero: this.zeros > 0 };
  }
}
