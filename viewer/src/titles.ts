// Node details fetched on demand and kept (titles for labels, metadata for colouring, views for the
// side panel): one at a time for a node that shows up, or in bulk (GET /api/graph/nodes, 500 ids a
// request, one request at a time) for every shown node of a graph small enough. At most MAX_VIEWS
// are kept; past that the oldest go.
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import type { Api } from './api.ts';

export const MAX_VIEWS = 200_000;
const BULK = 500;

export class NodeDetails {
  private readonly views = new Map<number, GraphNodeView>();
  private readonly inFlight = new Set<number>();
  private bulkQueue: number[] = [];
  private bulkRunning = false;
  /** Bumped whenever views arrive (colourings that read metadata redo their work). */
  version = 0;

  /** Called with every view fetched or remembered (the viewer reads agents' metadata from it). */
  onView: ((v: GraphNodeView) => void) | undefined;

  constructor(private readonly api: Api) {}

  /** What is known now; unless `fetch` is false, starts a fetch when nothing is. */
  peek(id: number, fetch = true): GraphNodeView | undefined {
    const v = this.views.get(id);
    if (fetch && v === undefined && !this.inFlight.has(id) && this.inFlight.size < 8) void this.fetch(id);
    return v;
  }

  async fetch(id: number): Promise<GraphNodeView | undefined> {
    this.inFlight.add(id);
    try {
      const v = await this.api.node(id);
      this.remember(v);
      return v;
    } catch {
      return undefined;
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Fetches, in the background and in bulk, the views of these nodes not known yet. */
  prefetch(ids: Iterable<number>): void {
    const queued = new Set(this.bulkQueue);
    for (const id of ids) if (!this.views.has(id) && !queued.has(id)) this.bulkQueue.push(id);
    if (!this.bulkRunning) void this.drain();
  }

  /** Views known or queued for fetching. */
  get pending(): number {
    return this.bulkQueue.length;
  }

  private async drain(): Promise<void> {
    this.bulkRunning = true;
    try {
      while (this.bulkQueue.length > 0) {
        const batch = this.bulkQueue.splice(0, BULK).filter((id) => !this.views.has(id));
        if (batch.length === 0) continue;
        try {
          for (const v of await this.api.nodes(batch)) this.remember(v, false);
        } catch {
          return; // the next prefetch tries again
        }
        this.version++;
      }
    } finally {
      this.bulkRunning = false;
    }
  }

  remember(v: GraphNodeView, bump = true): void {
    this.views.delete(v.id);
    this.views.set(v.id, v);
    if (this.views.size > MAX_VIEWS) this.views.delete(this.views.keys().next().value!);
    this.onView?.(v);
    if (bump) this.version++;
  }

  forget(id: number): void {
    this.views.delete(id);
  }
}
