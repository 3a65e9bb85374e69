// The blocks of a page as the notes have them, for the side panel of a page whose blocks are folded
// into it: depth first from the page along the edges to blocks that fold into it, in the order the
// edges were added (the markdown importer adds a page's "contains" edges in reading order).
import type { GraphStore } from './graph-store.ts';

/** Most blocks the panel shows of one page. */
export const MAX_PAGE_BLOCKS = 200;

export interface PageBlock {
  readonly id: number;
  /** 0 for a top-level block. */
  readonly depth: number;
}

export function pageBlocks(page: number, graph: GraphStore, foldedInto: ReadonlyMap<number, number>, limit = MAX_PAGE_BLOCKS): PageBlock[] {
  const children = new Map<number, number[]>();
  for (const e of graph.edges.values()) {
    if (foldedInto.get(e.target) !== page || e.source === e.target) continue;
    let list = children.get(e.source);
    if (list === undefined) children.set(e.source, (list = []));
    list.push(e.target);
  }
  const out: PageBlock[] = [];
  const seen = new Set<number>();
  const visit = (id: number, depth: number): void => {
    for (const child of children.get(id) ?? []) {
      if (out.length >= limit || seen.has(child)) continue;
      seen.add(child);
      out.push({ id: child, depth });
      visit(child, depth + 1);
    }
  };
  visit(page, 0);
  return out;
}
