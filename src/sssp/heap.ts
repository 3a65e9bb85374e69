// A 4-ary min-heap of node indices keyed by distance, on typed arrays, with decrease-key.
// Keys sit beside their nodes in the heap (no indirection through a distance array on the hot
// path); `pos` maps a node to its heap slot and is only read for nodes known to be in the heap, so
// it never needs clearing between runs. A 4-ary heap halves the depth of a binary one and its four
// children share a cache line: the usual winner for Dijkstra on large sparse graphs.

export class QuadHeap {
  keys: Float64Array;
  nodes: Int32Array;
  pos: Int32Array;
  size = 0;

  constructor(nodeCapacity: number) {
    this.keys = new Float64Array(Math.max(16, nodeCapacity));
    this.nodes = new Int32Array(this.keys.length);
    this.pos = new Int32Array(Math.max(16, nodeCapacity));
  }

  /** Makes room for node indices below `n` and clears the heap. */
  reset(n: number): void {
    if (n > this.pos.length) {
      const cap = Math.max(n, 2 * this.pos.length);
      this.keys = new Float64Array(cap);
      this.nodes = new Int32Array(cap);
      this.pos = new Int32Array(cap);
    }
    this.size = 0;
  }

  push(node: number, key: number): void {
    this.siftUp(this.size++, node, key);
  }

  /** `node` must be in the heap with a key >= `key`. */
  decrease(node: number, key: number): void {
    this.siftUp(this.pos[node]!, node, key);
  }

  /** Key of the minimum; the heap must not be empty. */
  minKey(): number {
    return this.keys[0]!;
  }

  /** Removes and returns the node with the smallest key; the heap must not be empty. */
  pop(): number {
    const nodes = this.nodes;
    const top = nodes[0]!;
    const last = --this.size;
    if (last > 0) this.siftDown(nodes[last]!, this.keys[last]!, last);
    return top;
  }

  private siftUp(i: number, node: number, key: number): void {
    const keys = this.keys;
    const nodes = this.nodes;
    const pos = this.pos;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pk = keys[p]!;
      if (pk <= key) break;
      keys[i] = pk;
      const pn = nodes[p]!;
      nodes[i] = pn;
      pos[pn] = i;
      i = p;
    }
    keys[i] = key;
    nodes[i] = node;
    pos[node] = i;
  }

  /** Places (node, key) starting at the root of a heap of `n` entries. */
  private siftDown(node: number, key: number, n: number): void {
    const keys = this.keys;
    const nodes = this.nodes;
    const pos = this.pos;
    let i = 0;
    for (;;) {
      const c = 4 * i + 1;
      if (c >= n) break;
      let m = c;
      let mk = keys[c]!;
      const end = c + 4 < n ? c + 4 : n;
      for (let j = c + 1; j < end; j++) {
        const k = keys[j]!;
        if (k < mk) {
          mk = k;
          m = j;
        }
      }
      if (mk >= key) break;
      keys[i] = mk;
      const mn = nodes[m]!;
      nodes[i] = mn;
      pos[mn] = i;
      i = m;
    }
    keys[i] = key;
    nodes[i] = node;
    pos[node] = i;
  }
}
