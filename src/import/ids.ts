// Deterministic ids for imported things, so importing the same source again names the same nodes
// and edges (and changes nothing). FNV-1a: 32 bits for node ids, 53 bits for edge ids (the wire
// keeps u64s within Number's safe range). Node-id collisions are resolved by probing, never by
// merging two nodes silently.

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;
const MASK53 = (1n << 53n) - 1n;

export function edgeIdOf(...parts: readonly (string | number)[]): bigint {
  let h = FNV64_OFFSET;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * FNV64_PRIME) & MASK64;
  }
  return (h ^ (h >> 53n)) & MASK53;
}

/** Hands out node ids by name: the hash of the name, probing past ids another name already took. */
export class NodeIds {
  private readonly byName = new Map<string, number>();
  private readonly taken = new Map<number, string>();
  collisions = 0;

  idOf(name: string): number {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    let id = fnv1a32(name);
    while (this.taken.has(id)) {
      id = (id + 1) >>> 0;
      this.collisions++;
    }
    this.byName.set(name, id);
    this.taken.set(id, name);
    return id;
  }
}
