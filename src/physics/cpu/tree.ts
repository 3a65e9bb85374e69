// The Barnes-Hut octree of one step, built from Morton codes so that it is a flat array:
//   1. the bounding cube of all nodes; a 30-bit Morton code per node (10 bits per axis);
//   2. an LSD radix sort of the codes (3 passes of 10 bits), carrying the slot indices;
//   3. a top-down split of the sorted range by octant digit, in depth-first order, skipping levels
//      where the range does not split (a compressed octree: every inner node has >= 2 children);
//      a range of <= LEAF_SIZE nodes, or of nodes sharing a full code, becomes a leaf (or a run of
//      leaves of LEAF_SIZE);
//   4. bottom-up (reverse depth-first order) charge, centre of charge and bounding box per node.
// Each node stores `next`, the node after its subtree, so traversal needs no stack.
// Sorted copies of positions and charges make the leaf loops walk memory in order.

export const LEAF_SIZE = 16;
const BITS = 10;
const LEVELS = 10;
const CELLS = 1 << BITS;

/** Node int fields, stride 4. */
export const I_START = 0;
export const I_END = 1;
export const I_NEXT = 2;
export const I_LEAF = 3;
/** Node float fields, stride 5: total charge, centre of charge, size (largest bbox extent). */
export const F_Q = 0;
export const F_X = 1;
export const F_Y = 2;
export const F_Z = 3;
export const F_SIZE = 4;

export interface TreeBuffers {
  readonly capacity: number;
  readonly codes: Uint32Array;
  readonly order: Int32Array;
  readonly tmpCodes: Uint32Array;
  readonly tmpOrder: Int32Array;
  /** Sorted positions and charges: entry t is slot order[t]. */
  readonly sx: Float64Array;
  readonly sy: Float64Array;
  readonly sz: Float64Array;
  readonly sq: Float64Array;
  readonly nodeI: Int32Array;
  readonly nodeF: Float64Array;
  readonly nodeBox: Float64Array;
  /** Leaf node ids in depth-first order (the groups of the repulsion pass). */
  readonly leaves: Int32Array;
  /** [nodeCount, leafCount] */
  readonly counts: Int32Array;
}

export function allocTree(capacity: number): TreeBuffers {
  const cap = Math.max(1, capacity);
  const nodes = 2 * cap + 2;
  const sab = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
  return {
    capacity: cap,
    codes: new Uint32Array(sab(4 * cap)),
    order: new Int32Array(sab(4 * cap)),
    tmpCodes: new Uint32Array(sab(4 * cap)),
    tmpOrder: new Int32Array(sab(4 * cap)),
    sx: new Float64Array(sab(8 * cap)),
    sy: new Float64Array(sab(8 * cap)),
    sz: new Float64Array(sab(8 * cap)),
    sq: new Float64Array(sab(8 * cap)),
    nodeI: new Int32Array(sab(16 * nodes)),
    nodeF: new Float64Array(sab(40 * nodes)),
    nodeBox: new Float64Array(sab(48 * nodes)),
    leaves: new Int32Array(sab(4 * cap)),
    counts: new Int32Array(sab(8)),
  };
}

/** Spreads the 10 low bits of v to every third bit (Morton interleave), by table. */
const SPREAD = (() => {
  const t = new Uint32Array(CELLS);
  for (let v = 0; v < CELLS; v++) {
    let x = 0;
    for (let b = 0; b < BITS; b++) if (v & (1 << b)) x |= 1 << (3 * b);
    t[v] = x >>> 0;
  }
  return t;
})();

/** Builds the tree over slots 0..n-1 of `pos`/`charge` into `tree`. */
export function buildTree(pos: Float32Array, charge: Float32Array, n: number, tree: TreeBuffers): void {
  if (n === 0) {
    tree.counts[0] = 0;
    tree.counts[1] = 0;
    return;
  }
  mortonCodes(pos, n, tree);
  radixSort(n, tree);
  const { order, sx, sy, sz, sq } = tree;
  for (let t = 0; t < n; t++) {
    const s = order[t]!;
    sx[t] = pos[3 * s]!;
    sy[t] = pos[3 * s + 1]!;
    sz[t] = pos[3 * s + 2]!;
    sq[t] = charge[s]!;
  }
  const builder = new Builder(tree);
  builder.build(0, n, 0);
  tree.counts[0] = builder.nodeCount;
  tree.counts[1] = builder.leafCount;
  aggregate(tree, builder.nodeCount);
}

function mortonCodes(pos: Float32Array, n: number, tree: TreeBuffers): void {
  let minX = Infinity;
  let minY = Infinity;
  let minZ = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let maxZ = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = pos[3 * i]!;
    const y = pos[3 * i + 1]!;
    const z = pos[3 * i + 2]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
    if (z < minZ) minZ = z;
    if (z > maxZ) maxZ = z;
  }
  const extent = Math.max(maxX - minX, maxY - minY, maxZ - minZ, 1e-9) * 1.0001;
  const scale = CELLS / extent;
  const { codes, order } = tree;
  for (let i = 0; i < n; i++) {
    const qx = Math.min(CELLS - 1, ((pos[3 * i]! - minX) * scale) | 0);
    const qy = Math.min(CELLS - 1, ((pos[3 * i + 1]! - minY) * scale) | 0);
    const qz = Math.min(CELLS - 1, ((pos[3 * i + 2]! - minZ) * scale) | 0);
    codes[i] = (SPREAD[qx]! | (SPREAD[qy]! << 1) | (SPREAD[qz]! << 2)) >>> 0;
    order[i] = i;
  }
}

const counts = new Int32Array(CELLS);

/** Sorts codes (and order along) ascending; stable, so equal codes keep slot order. */
function radixSort(n: number, tree: TreeBuffers): void {
  let keys = tree.codes;
  let vals = tree.order;
  let outKeys = tree.tmpCodes;
  let outVals = tree.tmpOrder;
  for (let shift = 0; shift < 3 * BITS; shift += BITS) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[i]! >>> shift) & (CELLS - 1)]!++;
    let sum = 0;
    for (let d = 0; d < CELLS; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      const at = counts[(k >>> shift) & (CELLS - 1)]!++;
      outKeys[at] = k;
      outVals[at] = vals[i]!;
    }
    [keys, outKeys] = [outKeys, keys];
    [vals, outVals] = [outVals, vals];
  }
  // Three passes: the result sits in the tmp arrays; copy back so `codes`/`order` hold it.
  tree.codes.set(keys.subarray(0, n));
  tree.order.set(vals.subarray(0, n));
}

class Builder {
  nodeCount = 0;
  leafCount = 0;
  private readonly codes: Uint32Array;
  private readonly nodeI: Int32Array;
  private readonly leaves: Int32Array;

  constructor(tree: TreeBuffers) {
    this.codes = tree.codes;
    this.nodeI = tree.nodeI;
    this.leaves = tree.leaves;
  }

  build(start: number, end: number, level: number): void {
    const id = this.nodeCount++;
    const nodeI = this.nodeI;
    nodeI[4 * id + I_START] = start;
    nodeI[4 * id + I_END] = end;
    const codes = this.codes;
    if (end - start <= LEAF_SIZE) {
      this.leaf(id);
      return;
    }
    // Skip levels at which the whole range falls in one octant (first and last share the digit).
    const first = codes[start]!;
    const last = codes[end - 1]!;
    while (level < LEVELS && ((first >>> (27 - 3 * level)) & 7) === ((last >>> (27 - 3 * level)) & 7)) level++;
    if (level >= LEVELS) {
      // Nodes sharing one finest cell: a run of leaves, split by index.
      for (let s = start; s < end; s += LEAF_SIZE) {
        const child = this.nodeCount++;
        nodeI[4 * child + I_START] = s;
        nodeI[4 * child + I_END] = Math.min(end, s + LEAF_SIZE);
        this.leaf(child);
      }
    } else {
      const shift = 27 - 3 * level;
      let s = start;
      while (s < end) {
        const prefix = codes[s]! >>> shift;
        // First index in (s, end) whose prefix is larger: binary search, the codes are sorted.
        let lo = s + 1;
        let hi = end;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (codes[mid]! >>> shift > prefix) hi = mid;
          else lo = mid + 1;
        }
        this.build(s, lo, level + 1);
        s = lo;
      }
    }
    nodeI[4 * id + I_NEXT] = this.nodeCount;
    nodeI[4 * id + I_LEAF] = 0;
  }

  private leaf(id: number): void {
    this.nodeI[4 * id + I_NEXT] = id + 1;
    this.nodeI[4 * id + I_LEAF] = 1;
    this.leaves[this.leafCount++] = id;
  }
}

function aggregate(tree: TreeBuffers, nodeCount: number): void {
  const { nodeI, nodeF, nodeBox, sx, sy, sz, sq } = tree;
  for (let id = nodeCount - 1; id >= 0; id--) {
    let q = 0;
    let cx = 0;
    let cy = 0;
    let cz = 0;
    let minX = Infinity;
    let minY = Infinity;
    let minZ = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    let maxZ = -Infinity;
    if (nodeI[4 * id + I_LEAF] === 1) {
      for (let t = nodeI[4 * id + I_START]!, end = nodeI[4 * id + I_END]!; t < end; t++) {
        const x = sx[t]!;
        const y = sy[t]!;
        const z = sz[t]!;
        const w = sq[t]!;
        q += w;
        cx += w * x;
        cy += w * y;
        cz += w * z;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
        if (z < minZ) minZ = z;
        if (z > maxZ) maxZ = z;
      }
    } else {
      for (let c = id + 1, end = nodeI[4 * id + I_NEXT]!; c < end; c = nodeI[4 * c + I_NEXT]!) {
        const w = nodeF[5 * c + F_Q]!;
        q += w;
        cx += w * nodeF[5 * c + F_X]!;
        cy += w * nodeF[5 * c + F_Y]!;
        cz += w * nodeF[5 * c + F_Z]!;
        const b = 6 * c;
        if (nodeBox[b]! < minX) minX = nodeBox[b]!;
        if (nodeBox[b + 1]! < minY) minY = nodeBox[b + 1]!;
        if (nodeBox[b + 2]! < minZ) minZ = nodeBox[b + 2]!;
        if (nodeBox[b + 3]! > maxX) maxX = nodeBox[b + 3]!;
        if (nodeBox[b + 4]! > maxY) maxY = nodeBox[b + 4]!;
        if (nodeBox[b + 5]! > maxZ) maxZ = nodeBox[b + 5]!;
      }
    }
    const f = 5 * id;
    nodeF[f + F_Q] = q;
    if (q > 0) {
      nodeF[f + F_X] = cx / q;
      nodeF[f + F_Y] = cy / q;
      nodeF[f + F_Z] = cz / q;
    } else {
      nodeF[f + F_X] = (minX + maxX) / 2;
      nodeF[f + F_Y] = (minY + maxY) / 2;
      nodeF[f + F_Z] = (minZ + maxZ) / 2;
    }
    nodeF[f + F_SIZE] = Math.max(maxX - minX, maxY - minY, maxZ - minZ);
    const b = 6 * id;
    nodeBox[b] = minX;
    nodeBox[b + 1] = minY;
    nodeBox[b + 2] = minZ;
    nodeBox[b + 3] = maxX;
    nodeBox[b + 4] = maxY;
    nodeBox[b + 5] = maxZ;
  }
}
