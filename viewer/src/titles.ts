// Node details fetched on demand and kept (titles for labels, views for the side panel).
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import type { Api } from './api.ts';

export class NodeDetails {
  private readonly views = new Map<number, GraphNodeView>();
  private readonly inFlight = new Set<number>();

  /** Called with every view fetched or remembered (the viewer reads agents' metadata from it). */
  onView: ((v: GraphNodeView) => void) | undefined;

  constructor(private readonly api: Api) {}

  /** What is known now; starts a fetch when nothing is. */
  peek(id: number): GraphNodeView | undefined {
    const v = this.views.get(id);
    if (v === undefined && !this.inFlight.has(id) && this.inFlight.size < 8) void this.fetch(id);
    return v;
  }

  async fetch(id: number): Promise<GraphNodeView | undefined> {
    this.inFlight.add(id);
    try {
      const v = await this.api.node(id);
      this.views.set(id, v);
      this.onView?.(v);
      return v;
    } catch {
      return undefined;
    } finally {
      this.inFlight.delete(id);
    }
  }

  remember(v: GraphNodeView): void {
    this.views.set(v.id, v);
    this.onView?.(v);
  }

  forget(id: number): void {
    this.views.delete(id);
  }
}
