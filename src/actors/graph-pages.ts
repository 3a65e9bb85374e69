// The planner's view of the graph: every node of one type ("page" for the bundled recipes) with its
// title, read page by page from the GraphPort's node list. Bounded: a graph with more such nodes
// than `max` is refused with a clear error rather than loaded whole into one task's plan.
import type { GraphPort } from '../gateway/ports.ts';

export interface TitledNode {
  readonly id: number;
  readonly title: string;
}

const PAGE = 1000;

export function graphPages(graph: Pick<GraphPort, 'nodePage'>, type = 'page', max = 100_000): () => Promise<readonly TitledNode[]> {
  return async () => {
    const found: TitledNode[] = [];
    let offset: number | undefined = 0;
    // Each round moves `offset` forward by a page of the node list: at most total / PAGE rounds.
    while (offset !== undefined) {
      const page = await graph.nodePage(offset, PAGE, type);
      for (const node of page.nodes) found.push({ id: node.id, title: node.title ?? '' });
      if (found.length > max) throw new RangeError(`the graph holds more than ${max} nodes of type "${type}"`);
      offset = page.next;
    }
    return found;
  };
}
