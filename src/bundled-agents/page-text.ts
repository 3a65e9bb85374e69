// A page's whole text as the agents read it: its own content, then its blocks' (the nodes of type
// "block" it contains, nested), in the order the graph lists them; and what it already links to.
import type { GraphClient, NodeInfo } from './graph-client.ts';
import type { GraphSnapshot } from './graph-snapshot.ts';

export interface PageWithText {
  readonly id: number;
  readonly title: string;
  readonly text: string;
  /** Nodes the page or its blocks link to (blocks excluded). */
  readonly linked: ReadonlySet<number>;
}

/** Blocks read per page at most. */
const MAX_BLOCKS = 5_000;

/** The page's blocks, nested ones included, breadth first. */
export function blocksOf(snapshot: GraphSnapshot, pageId: number): number[] {
  const blocks: number[] = [];
  const seen = new Set<number>([pageId]);
  const queue = [pageId];
  while (queue.length > 0 && blocks.length < MAX_BLOCKS) {
    for (const next of snapshot.out.get(queue.shift()!) ?? []) {
      if (seen.has(next) || snapshot.nodes.get(next)?.type !== 'block') continue;
      seen.add(next);
      blocks.push(next);
      queue.push(next);
    }
  }
  return blocks;
}

/** What the page and its blocks link to, besides the blocks themselves. */
export function linksOf(snapshot: GraphSnapshot, pageId: number, blocks: readonly number[]): Set<number> {
  const own = new Set([pageId, ...blocks]);
  const linked = new Set<number>();
  for (const from of own) for (const to of snapshot.out.get(from) ?? []) if (!own.has(to)) linked.add(to);
  return linked;
}

export async function readPage(
  client: GraphClient,
  snapshot: GraphSnapshot,
  pageId: number,
  signal?: AbortSignal,
): Promise<PageWithText | undefined> {
  const page: NodeInfo | undefined = await client.node(pageId, signal);
  if (page === undefined) return undefined;
  const blocks = blocksOf(snapshot, pageId);
  const blockNodes = blocks.length === 0 ? [] : await client.nodes(blocks, true, signal);
  const byId = new Map(blockNodes.map((b) => [b.id, b]));
  const parts = [page.content ?? '', ...blocks.map((id) => byId.get(id)?.content ?? '')].filter((s) => s.trim() !== '');
  return { id: pageId, title: page.title, text: parts.join('\n'), linked: linksOf(snapshot, pageId, blocks) };
}
