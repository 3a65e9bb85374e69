// Title search: a node matches when its title contains the query, case-insensitively. Matches rank
// exact before prefix before substring, then shorter titles first, then lower ids (so that the
// order is total and the same whichever shard a node lives on). Each shard keeps its best `limit`;
// the router merges the shards' lists with the same order.
import type { NodeValue } from './model.ts';

export const MAX_QUERY_LENGTH = 256;
export const MAX_RESULTS = 1000;

/** 0 exact, 1 prefix, 2 substring: lower is better. */
export const MatchRank = { Exact: 0, Prefix: 1, Substring: 2 } as const;
export type MatchRank = (typeof MatchRank)[keyof typeof MatchRank];

export interface SearchHit {
  readonly rank: MatchRank;
  readonly node: NodeValue;
}

/** How `title` matches the lower-cased `query`, or undefined when it does not. */
export function matchRank(title: string, query: string): MatchRank | undefined {
  const t = title.toLowerCase();
  const at = t.indexOf(query);
  if (at < 0) return undefined;
  if (at > 0) return MatchRank.Substring;
  return t.length === query.length ? MatchRank.Exact : MatchRank.Prefix;
}

export function compareHits(a: SearchHit, b: SearchHit): number {
  return a.rank - b.rank || (a.node.title?.length ?? 0) - (b.node.title?.length ?? 0) || a.node.id - b.node.id;
}

/** Keeps the best `limit` of a stream of hits without sorting all of them at once. */
export class TopHits {
  private hits: SearchHit[] = [];

  constructor(private readonly limit: number) {}

  add(hit: SearchHit): void {
    this.hits.push(hit);
    if (this.hits.length >= 2 * this.limit + 64) this.trim();
  }

  result(): SearchHit[] {
    this.trim();
    return this.hits;
  }

  private trim(): void {
    this.hits.sort(compareHits);
    if (this.hits.length > this.limit) this.hits.length = this.limit;
  }
}

/** The best `limit` live nodes of `nodes` whose title contains `query` (already lower-cased). */
export function searchTitles(nodes: Iterable<readonly [number, NodeValue]>, query: string, limit: number): SearchHit[] {
  const top = new TopHits(limit);
  for (const [, node] of nodes) {
    if (node.title === undefined) continue;
    const rank = matchRank(node.title, query);
    if (rank !== undefined) top.add({ rank, node });
  }
  return top.result();
}
