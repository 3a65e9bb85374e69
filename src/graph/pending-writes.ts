// The router's units that have not committed yet: which nodes and edges each one writes and which
// nodes it reads (an edge's ends), and how to undo what it did to the directory.
//
// A new unit that touches what a pending one writes (or writes what a pending one reads) was
// validated on top of it, so it names that unit as a dependency: the journal commits it with or
// after that one and fails it when that one fails. Units with nothing in common do not wait for
// each other, which is what keeps a stalled shard's units from holding back the rest. When units
// fail, the directory changes of every failed one are undone, newest first; because everything
// that touched the same nodes and edges failed with them, what stands is exactly what committed.
import type { Ticket } from '../storage/group-commit.ts';

/** What one unit being routed touches; `after` gathers the pending units it builds on. */
export class UnitAccess {
  readonly after = new Set<Ticket>();
  readonly writtenNodes: number[] = [];
  readonly readNodes: number[] = [];
  readonly writtenEdges: bigint[] = [];

  constructor(private readonly pending: PendingWrites) {}

  writeNode(id: number): void {
    this.pending.dependOnNode(this, id, true);
    this.writtenNodes.push(id);
  }

  readNode(id: number): void {
    this.pending.dependOnNode(this, id, false);
    this.readNodes.push(id);
  }

  writeEdge(id: bigint): void {
    this.pending.dependOnEdge(this, id);
    this.writtenEdges.push(id);
  }
}

interface Entry {
  readonly access: UnitAccess;
  readonly undo: readonly (() => void)[];
}

/** Above this many entries, committed units are dropped wherever they are (amortised O(1) per unit). */
const SWEEP_FROM = 1024;

export class PendingWrites {
  /** In open order. */
  private readonly units = new Map<Ticket, Entry>();
  private readonly nodeWriter = new Map<number, Ticket>();
  private readonly nodeReaders = new Map<number, Ticket[]>();
  private readonly edgeWriter = new Map<bigint, Ticket>();
  private sweepAt = SWEEP_FROM;

  begin(): UnitAccess {
    return new UnitAccess(this);
  }

  get size(): number {
    return this.units.size;
  }

  dependOnNode(access: UnitAccess, id: number, writes: boolean): void {
    const w = this.nodeWriter.get(id);
    if (w !== undefined && w.state !== 'done') access.after.add(w);
    if (!writes) return;
    for (const r of this.nodeReaders.get(id) ?? []) if (r.state !== 'done') access.after.add(r);
  }

  dependOnEdge(access: UnitAccess, id: bigint): void {
    const w = this.edgeWriter.get(id);
    if (w !== undefined && w.state !== 'done') access.after.add(w);
  }

  /** `ticket` was opened for `access`; `undo` reverses its directory changes. */
  add(ticket: Ticket, access: UnitAccess, undo: readonly (() => void)[]): void {
    this.units.set(ticket, { access, undo });
    for (const id of access.writtenNodes) {
      this.nodeWriter.set(id, ticket);
      // Those readers are now behind this writer: it depends on them.
      this.nodeReaders.delete(id);
    }
    for (const id of access.readNodes) {
      let list = this.nodeReaders.get(id);
      if (list === undefined) this.nodeReaders.set(id, (list = []));
      if (list.length > 64) {
        const live = list.filter((r) => !r.settled);
        list.length = 0;
        list.push(...live);
      }
      list.push(ticket);
    }
    for (const id of access.writtenEdges) this.edgeWriter.set(id, ticket);
    this.forgetCommitted();
  }

  /**
   * Undoes the directory changes of every unit that has failed, newest first, and forgets them.
   * Returns how many there were.
   */
  rollBackFailed(): number {
    const failed = [...this.units].filter(([t]) => t.state === 'failed');
    for (let i = failed.length - 1; i >= 0; i--) {
      const [t, entry] = failed[i]!;
      for (let j = entry.undo.length - 1; j >= 0; j--) entry.undo[j]!();
      this.forget(t, entry);
    }
    return failed.length;
  }

  private forgetCommitted(): void {
    for (const [t, entry] of this.units) {
      if (t.state !== 'done') break;
      this.forget(t, entry);
    }
    if (this.units.size < this.sweepAt) return;
    for (const [t, entry] of [...this.units]) if (t.state === 'done') this.forget(t, entry);
    this.sweepAt = Math.max(SWEEP_FROM, 2 * this.units.size);
  }

  private forget(t: Ticket, entry: Entry): void {
    this.units.delete(t);
    for (const id of entry.access.writtenNodes) if (this.nodeWriter.get(id) === t) this.nodeWriter.delete(id);
    for (const id of entry.access.writtenEdges) if (this.edgeWriter.get(id) === t) this.edgeWriter.delete(id);
    for (const id of entry.access.readNodes) {
      const list = this.nodeReaders.get(id);
      if (list === undefined) continue;
      const i = list.indexOf(t);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.nodeReaders.delete(id);
    }
  }
}
