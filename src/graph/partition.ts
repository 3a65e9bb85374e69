// Which shard owns what. Nodes are spread by rendezvous (highest-random-weight) hashing of their
// id, so changing the shard count moves only ~1/N of the nodes; an edge lives with its source node,
// which keeps a node's out-edges on one shard for the physics pre-processing and the cascade.

function mix(x: number): number {
  // murmur3's 32-bit finaliser: a cheap, well-spread hash of one integer.
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Partitioner {
  private readonly seeds: number[];

  constructor(readonly shards: number) {
    if (!Number.isInteger(shards) || shards < 1 || shards > 1024)
      throw new RangeError(`shard count must be an integer in [1, 1024], got ${shards}`);
    this.seeds = Array.from({ length: shards }, (_, i) => mix(0x9e3779b9 ^ Math.imul(i + 1, 0x27d4eb2f)));
  }

  shardOfNode(id: number): number {
    let best = 0;
    let bestScore = -1;
    for (let s = 0; s < this.shards; s++) {
      const score = mix(id ^ this.seeds[s]!);
      if (score > bestScore) {
        bestScore = score;
        best = s;
      }
    }
    return best;
  }

  shardOfEdge(source: number): number {
    return this.shardOfNode(source);
  }
}
