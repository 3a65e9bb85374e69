// The queued tasks an agent may lease, per swarm and capability, best first: higher priority, then
// older, then first queued. A binary heap per (swarm, capability) with removal by id marked lazily
// (a removed entry is skipped when it reaches the top), rebuilt when the skipped ones outnumber
// the live ones and dropped when empty, so its size stays within twice the queued tasks.

export interface ReadyTask {
  readonly id: string;
  readonly swarm: string;
  readonly capability: string;
  readonly priority: number;
  readonly createdMs: number;
}

interface Entry {
  readonly id: string;
  readonly priority: number;
  readonly createdMs: number;
  readonly seq: number;
}

class Heap {
  readonly items: Entry[] = [];
  live = 0;

  constructor(
    readonly swarm: string,
    readonly capability: string,
  ) {}

  push(e: Entry): void {
    const h = this.items;
    h.push(e);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): Entry | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.createdMs !== b.createdMs) return a.createdMs < b.createdMs;
  return a.seq < b.seq;
}

export class ReadyQueue {
  private readonly heaps = new Map<string, Map<string, Heap>>();
  /** Queued task id -> the seq of its live heap entry, and where that heap is. */
  private readonly live = new Map<string, { readonly seq: number; readonly heap: Heap }>();
  private seq = 0;

  get size(): number {
    return this.live.size;
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  add(task: ReadyTask): void {
    this.remove(task.id);
    let bySwarm = this.heaps.get(task.swarm);
    if (bySwarm === undefined) this.heaps.set(task.swarm, (bySwarm = new Map()));
    let heap = bySwarm.get(task.capability);
    if (heap === undefined) bySwarm.set(task.capability, (heap = new Heap(task.swarm, task.capability)));
    const entry = { id: task.id, priority: task.priority, createdMs: task.createdMs, seq: this.seq++ };
    heap.push(entry);
    heap.live++;
    this.live.set(task.id, { seq: entry.seq, heap });
  }

  remove(id: string): void {
    const at = this.live.get(id);
    if (at === undefined) return;
    this.live.delete(id);
    at.heap.live--;
    // Names come from submissions: a heap (and a swarm) with nothing queued is dropped, not kept.
    if (at.heap.live === 0) this.drop(at.heap);
    else if (at.heap.items.length > 2 * at.heap.live + 64) this.compact(at.heap);
  }

  /** The best queued task of `swarm` for an agent with `capabilities`; it stays queued. */
  best(swarm: string, capabilities: readonly string[]): string | undefined {
    const bySwarm = this.heaps.get(swarm);
    if (bySwarm === undefined) return undefined;
    let best: Entry | undefined;
    for (const capability of new Set(capabilities)) {
      const heap = bySwarm.get(capability);
      const top = heap === undefined ? undefined : this.top(heap);
      if (top !== undefined && (best === undefined || before(top, best))) best = top;
    }
    return best?.id;
  }

  /** The capabilities `swarm` has queued tasks for. */
  capabilities(swarm: string): string[] {
    const bySwarm = this.heaps.get(swarm);
    if (bySwarm === undefined) return [];
    return [...bySwarm].filter(([, heap]) => heap.live > 0).map(([capability]) => capability);
  }

  swarms(): string[] {
    return [...this.heaps.keys()].filter((s) => this.capabilities(s).length > 0);
  }

  private top(heap: Heap): Entry | undefined {
    for (;;) {
      const e = heap.items[0];
      if (e === undefined || this.live.get(e.id)?.seq === e.seq) return e;
      heap.pop();
    }
  }

  private drop(heap: Heap): void {
    const bySwarm = this.heaps.get(heap.swarm);
    bySwarm?.delete(heap.capability);
    if (bySwarm?.size === 0) this.heaps.delete(heap.swarm);
  }

  private compact(heap: Heap): void {
    const keep = heap.items.filter((e) => this.live.get(e.id)?.seq === e.seq);
    heap.items.length = 0;
    for (const e of keep) heap.push(e);
  }
}
