// Extractive summary by TextRank (Mihalcea and Tarau, 2004): sentences are the vertices of a graph
// whose edges weigh how many words two sentences share, normalised by the logs of their lengths;
// PageRank with damping 0.85 ranks them, and the best few are the summary, in their original order.
import { sentences, words } from './text.ts';

export interface TextRankOptions {
  /** Sentences in the summary. */
  readonly count: number;
  readonly damping: number;
  /** Iterations at most; stops earlier once no score moves by more than `tolerance`. */
  readonly maxIterations: number;
  readonly tolerance: number;
  /** Sentences considered, from the start (the graph is quadratic in them). */
  readonly maxSentences: number;
}

const DEFAULTS: TextRankOptions = { count: 3, damping: 0.85, maxIterations: 100, tolerance: 1e-6, maxSentences: 400 };

/** Words too common to say that two sentences are about the same thing. */
const STOP_WORDS = new Set(
  'a an and are as at be but by for from has have he her his i in is it its of on or our she that the their them they this to was we were which who will with you'.split(
    ' ',
  ),
);

/** The similarity of two sentences given as word sets: shared words over log |a| + log |b|. */
export function similarity(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const denominator = Math.log(a.size) + Math.log(b.size);
  if (denominator <= 0) return 0;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / denominator;
}

/** Each sentence's TextRank score, in the sentences' order. */
export function textRankScores(list: readonly string[], options: Partial<TextRankOptions> = {}): number[] {
  const { damping, maxIterations, tolerance } = { ...DEFAULTS, ...options };
  const n = list.length;
  if (n === 0) return [];
  const bags = list.map((s) => new Set(words(s).filter((w) => !STOP_WORDS.has(w))));
  const weight: number[][] = bags.map((a, i) => bags.map((b, j) => (i === j ? 0 : similarity(a, b))));
  const outSum = weight.map((row) => row.reduce((x, y) => x + y, 0));
  let scores = new Array<number>(n).fill(1 / n);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const next = new Array<number>(n).fill((1 - damping) / n);
    for (let j = 0; j < n; j++) {
      // A sentence like no other spreads its score evenly (as PageRank does for dangling pages).
      if (outSum[j] === 0) for (let i = 0; i < n; i++) next[i]! += (damping * scores[j]!) / n;
      else for (let i = 0; i < n; i++) next[i]! += (damping * scores[j]! * weight[j]![i]!) / outSum[j]!;
    }
    const moved = next.reduce((m, s, i) => Math.max(m, Math.abs(s - scores[i]!)), 0);
    scores = next;
    if (moved < tolerance) break;
  }
  return scores;
}

/** The best `count` sentences of `text`, in the order they appear there. */
export function summarise(text: string, options: Partial<TextRankOptions> = {}): string[] {
  const { count, maxSentences } = { ...DEFAULTS, ...options };
  const list = sentences(text).slice(0, maxSentences);
  if (list.length <= count) return list;
  const scores = textRankScores(list, options);
  const best = scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, count)
    .map((s) => s.index)
    .sort((a, b) => a - b);
  return best.map((i) => list[i]!);
}
