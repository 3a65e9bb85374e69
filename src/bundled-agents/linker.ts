// Unlinked mentions: where a page's text names another page by its title (case-insensitive, as
// whole words) without linking to it, propose the link. Titles shorter than 3 characters are
// ignored (too many false mentions), and so are links the page already has and itself.
import { excerpt, normaliseTitle, withoutMarkup, wordsAt } from './text.ts';

export interface TitledNode {
  readonly id: number;
  readonly title: string;
}

export interface PageText extends TitledNode {
  /** The page's text: its own content and its blocks'. */
  readonly text: string;
  /** Nodes the page (or one of its blocks) already links to. */
  readonly linked: ReadonlySet<number>;
}

export interface LinkProposal {
  readonly from: number;
  readonly to: number;
  /** The title mentioned. */
  readonly title: string;
  /** The mention in its context. */
  readonly excerpt: string;
}

export interface LinkerLimits {
  /** Longest title, in words, looked for. */
  readonly maxTitleWords: number;
  /** Proposals per page, at most. */
  readonly maxPerPage: number;
}

const DEFAULT_LIMITS: LinkerLimits = { maxTitleWords: 8, maxPerPage: 200 };
const MIN_TITLE_CHARS = 3;

/** Normalised title -> the nodes with it: what mentions are looked up in. */
export function titleIndex(nodes: Iterable<TitledNode>): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (const n of nodes) {
    const key = normaliseTitle(n.title);
    if (key.length < MIN_TITLE_CHARS || n.title.trim().length < MIN_TITLE_CHARS) continue;
    const ids = index.get(key);
    if (ids === undefined) index.set(key, [n.id]);
    else if (!ids.includes(n.id)) ids.push(n.id);
  }
  return index;
}

/** The unlinked mentions in one page, first mention of each target, in text order. */
export function unlinkedMentions(
  page: PageText,
  titles: ReadonlyMap<string, readonly number[]>,
  limits: Partial<LinkerLimits> = {},
): LinkProposal[] {
  const { maxTitleWords, maxPerPage } = { ...DEFAULT_LIMITS, ...limits };
  const text = withoutMarkup(page.text);
  const found = wordsAt(text);
  const proposals: LinkProposal[] = [];
  const proposed = new Set<number>();
  for (let i = 0; i < found.length && proposals.length < maxPerPage; i++) {
    // The longest title at each position: "Machine learning" is one mention, not also "Machine".
    let phrase = '';
    let longest: { key: string; last: number } | undefined;
    for (let k = i; k < Math.min(found.length, i + maxTitleWords); k++) {
      phrase = k === i ? found[k]!.word : `${phrase} ${found[k]!.word}`;
      if (titles.has(phrase)) longest = { key: phrase, last: k };
    }
    if (longest === undefined) continue;
    const start = found[i]!.start;
    const end = found[longest.last]!.end;
    for (const to of titles.get(longest.key)!) {
      if (to === page.id || page.linked.has(to) || proposed.has(to) || proposals.length >= maxPerPage) continue;
      proposed.add(to);
      proposals.push({ from: page.id, to, title: page.text.slice(start, end), excerpt: excerpt(page.text, start, end) });
    }
    i = longest.last;
  }
  return proposals;
}
