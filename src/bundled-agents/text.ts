// Words and sentences of page text, for the bundled agents' algorithms. Unicode letters and digits
// make words; markdown link and tag syntax is taken out first, so that "[[Beta]]" or "#beta" is
// not counted as a mention of Beta (it is already a link or a tag).

const WORD = /[\p{L}\p{N}_]+/gu;

export interface WordAt {
  /** Lower-cased. */
  readonly word: string;
  readonly start: number;
  readonly end: number;
}

/** The words of `text` with where each is, lower-cased. */
export function wordsAt(text: string): WordAt[] {
  const out: WordAt[] = [];
  for (const m of text.matchAll(WORD)) out.push({ word: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length });
  return out;
}

export function words(text: string): string[] {
  return wordsAt(text).map((w) => w.word);
}

/** A title as it is compared: its words, lower-cased, joined by single spaces. */
export function normaliseTitle(title: string): string {
  return words(title).join(' ');
}

/** Markdown links ([[x]], [x](y)), tags (#x, #[[x y]]), code and property lines blanked out, offsets kept. */
export function withoutMarkup(text: string): string {
  const blank = (s: string): string => ' '.repeat(s.length);
  return text
    .replace(/```[\s\S]*?```/g, blank)
    .replace(/`[^`\n]*`/g, blank)
    .replace(/#?\[\[[^[\]\n]*\]\]/g, blank)
    .replace(/\[[^\]\n]*\]\([^)\n]*\)/g, blank)
    .replace(/(^|\s)#[\p{L}\p{N}_/-]+/gu, (m) => blank(m))
    .replace(/^[\t ]*[\p{L}\p{N}_-]+::.*$/gmu, blank);
}

/** Sentences: split after . ! ? followed by space, and at line breaks; bullets and blanks dropped. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\n+/)) {
    const body = line.replace(/^[\s>*+-]*(\d+\.\s+)?/, '').trim();
    if (body === '') continue;
    for (const part of body.split(/(?<=[.!?…])\s+(?=[\p{Lu}\p{N}"'“(])/u)) {
      const s = part.trim();
      if (s !== '') out.push(s);
    }
  }
  return out;
}

/** Up to `radius` characters either side of [start, end), on one line, with … where cut. */
export function excerpt(text: string, start: number, end: number, radius = 60): string {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const lineEndAt = text.indexOf('\n', end);
  const lineEnd = lineEndAt === -1 ? text.length : lineEndAt;
  const from = Math.max(lineStart, start - radius);
  const to = Math.min(lineEnd, end + radius);
  return `${from > lineStart ? '…' : ''}${text.slice(from, to).trim()}${to < lineEnd ? '…' : ''}`;
}

/** `text` cut to at most `maxBytes` of UTF-8, on a character boundary, with … when cut. */
export function clipUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text;
  const cut = Buffer.from(text, 'utf8')
    .subarray(0, maxBytes - 3)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}…`;
}
