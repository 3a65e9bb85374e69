// Housekeeping of a knowledge graph: pages nothing links to or from (orphans), titles so alike
// they are likely the same page twice (near-duplicates, by trigram similarity), and tags used only
// once (a typo, or a tag that categorises nothing).
import { normaliseTitle } from './text.ts';

export interface CuratedNode {
  readonly id: number;
  readonly title: string;
  readonly type?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface CuratedEdge {
  readonly source: number;
  readonly target: number;
}

export interface CuratorOptions {
  /**
   * Similarity from which two titles are near-duplicates: the higher of their trigram Jaccard
   * similarity and 1 - Levenshtein distance / longer length, on the titles normalised and with a
   * namespace they share ("a/b/x", "a/b/y") left out.
   */
  readonly threshold: number;
  /** Pairs of titles compared at most (the rest are not looked at). */
  readonly maxComparisons: number;
  /** Entries of each list in the report at most. */
  readonly maxReported: number;
}

export interface CurationReport {
  readonly orphans: readonly { readonly id: number; readonly title: string }[];
  readonly nearDuplicates: readonly {
    readonly a: number;
    readonly b: number;
    readonly titles: readonly [string, string];
    readonly similarity: number;
  }[];
  readonly singleUseTags: readonly { readonly tag: string; readonly id?: number; readonly usedBy: number }[];
  /** True when a bound cut a list or the comparisons short. */
  readonly truncated: boolean;
}

const DEFAULTS: CuratorOptions = { threshold: 0.85, maxComparisons: 5_000_000, maxReported: 1000 };

/** The trigrams of a normalised title, padded so that short titles have some. */
export function trigrams(title: string): Set<string> {
  const s = `  ${normaliseTitle(title)} `;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= s.length; i++) out.add(s.slice(i, i + 3));
  return out;
}

export function trigramSimilarity(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / (a.size + b.size - shared);
}

/** 1 - edit distance / longer length, on at most the first 200 characters of each. */
export function levenshteinSimilarity(a: string, b: string): number {
  const x = a.slice(0, 200);
  const y = b.slice(0, 200);
  if (x.length === 0 && y.length === 0) return 1;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return 1 - previous[y.length]! / Math.max(x.length, y.length);
}

export function titleSimilarity(a: string, b: string): number {
  const x = a.trim().toLowerCase().split('/');
  const y = b.trim().toLowerCase().split('/');
  let shared = 0;
  while (shared < Math.min(x.length, y.length) - 1 && x[shared] === y[shared]) shared++;
  const restA = normaliseTitle(x.slice(shared).join('/'));
  const restB = normaliseTitle(y.slice(shared).join('/'));
  return Math.max(trigramSimilarity(trigrams(restA), trigrams(restB)), levenshteinSimilarity(restA, restB));
}

/**
 * Titles that look alike but name different things by construction: a namespace and a page in it
 * ("Whiteboard" and "Whiteboard/Object"), or titles whose numbers differ (dates, versions).
 */
function distinctOnPurpose(a: string, b: string): boolean {
  const [x, y] = [a.trim().toLowerCase(), b.trim().toLowerCase()];
  if (x.startsWith(`${y}/`) || y.startsWith(`${x}/`)) return true;
  const numbers = (s: string): string => (s.match(/\d+/g) ?? []).join(',');
  return numbers(x) !== numbers(y);
}

export function curate(
  nodes: readonly CuratedNode[],
  edges: readonly CuratedEdge[],
  options: Partial<CuratorOptions> = {},
): CurationReport {
  const { threshold, maxComparisons, maxReported } = { ...DEFAULTS, ...options };
  let truncated = false;
  const degree = new Map<number, number>();
  for (const e of edges) {
    degree.set(e.source, (degree.get(e.source) ?? 0) + 1);
    degree.set(e.target, (degree.get(e.target) ?? 0) + 1);
  }
  const pages = nodes.filter((n) => n.type !== 'block' && n.type !== 'tag');
  const orphans = pages.filter((n) => (degree.get(n.id) ?? 0) === 0).map((n) => ({ id: n.id, title: n.title }));
  if (orphans.length > maxReported) truncated = true;

  // Near-duplicates: only pairs that share a trigram are compared, through an inverted index.
  const grams = pages.map((n) => trigrams(n.title));
  const byGram = new Map<string, number[]>();
  grams.forEach((set, i) => {
    for (const g of set) {
      const list = byGram.get(g);
      if (list === undefined) byGram.set(g, [i]);
      else list.push(i);
    }
  });
  const nearDuplicates: { a: number; b: number; titles: [string, string]; similarity: number }[] = [];
  let comparisons = 0;
  for (let i = 0; i < pages.length && !truncated; i++) {
    const seen = new Set<number>();
    for (const g of grams[i]!) {
      for (const j of byGram.get(g)!) {
        if (j <= i || seen.has(j)) continue;
        seen.add(j);
        if (++comparisons > maxComparisons) {
          truncated = true;
          break;
        }
        const a = pages[i]!;
        const b = pages[j]!;
        if (normaliseTitle(a.title) === '' || a.id === b.id || distinctOnPurpose(a.title, b.title)) continue;
        const s = titleSimilarity(a.title, b.title);
        if (s >= threshold) nearDuplicates.push({ a: a.id, b: b.id, titles: [a.title, b.title], similarity: Math.round(s * 1000) / 1000 });
      }
      if (truncated) break;
    }
  }
  nearDuplicates.sort((x, y) => y.similarity - x.similarity || x.a - y.a || x.b - y.b);

  // Tags: tag nodes with one edge, and tags:: property values that appear on one node only.
  const singleUseTags: { tag: string; id?: number; usedBy: number }[] = [];
  for (const n of nodes) if (n.type === 'tag' && (degree.get(n.id) ?? 0) === 1) singleUseTags.push({ tag: n.title, id: n.id, usedBy: 1 });
  const propertyTags = new Map<string, { tag: string; users: Set<number> }>();
  for (const n of nodes) {
    const raw = n.metadata?.tags;
    if (raw === undefined) continue;
    for (const tag of raw.split(',').map((s) => s.replace(/^#|\[\[|\]\]/g, '').trim())) {
      if (tag === '') continue;
      const key = normaliseTitle(tag);
      const entry = propertyTags.get(key) ?? { tag, users: new Set<number>() };
      entry.users.add(n.id);
      propertyTags.set(key, entry);
    }
  }
  const tagNodes = new Set(nodes.filter((n) => n.type === 'tag').map((n) => normaliseTitle(n.title)));
  for (const [key, { tag, users }] of propertyTags) if (users.size === 1 && !tagNodes.has(key)) singleUseTags.push({ tag, usedBy: 1 });

  if (nearDuplicates.length > maxReported || singleUseTags.length > maxReported) truncated = true;
  return {
    orphans: orphans.slice(0, maxReported),
    nearDuplicates: nearDuplicates.slice(0, maxReported),
    singleUseTags: singleUseTags.slice(0, maxReported),
    truncated,
  };
}
