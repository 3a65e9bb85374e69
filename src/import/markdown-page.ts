// Parses one Logseq or Obsidian page: page properties (Logseq "key:: value" lines before the first
// block, or Obsidian YAML front matter), then blocks: Logseq's nested "- " bullets (tabs or
// spaces), or plain paragraphs for Obsidian. In each block: [[links]], #tags, #[[multi word
// tags]], and "key:: value" block properties. Code fences are skipped for links. Pure: text in,
// structure out, never throws.

export interface ParsedBlock {
  readonly text: string;
  readonly depth: number;
  /** Index of the parent block in the page's list, -1 for a top-level block. */
  readonly parent: number;
  readonly links: readonly string[];
  readonly tags: readonly string[];
  readonly properties: readonly (readonly [string, string])[];
}

export interface ParsedPage {
  readonly properties: readonly (readonly [string, string])[];
  readonly aliases: readonly string[];
  readonly tags: readonly string[];
  readonly blocks: readonly ParsedBlock[];
}

const PROPERTY = /^([A-Za-z0-9_][\w-]*)::\s*(.*)$/;
const LINK = /\[\[([^[\]]{1,512})\]\]/g;
const TAG = /(?:^|[\s,(])#(?:\[\[([^[\]]{1,512})\]\]|([^\s#,.;:!?()[\]{}"'`]{1,256}))/g;
export const MAX_DEPTH = 64;

/** Values of a list property: "a, [[b c]], #d" -> a, b c, d. */
export function listValues(value: string): string[] {
  const out: string[] = [];
  for (const m of value.matchAll(LINK)) out.push(m[1]!.trim());
  const rest = value.replace(LINK, ',');
  for (const part of rest.split(',')) {
    const v = part.trim().replace(/^#/, '');
    if (v !== '') out.push(v);
  }
  return out;
}

function linksIn(text: string): { links: string[]; tags: string[] } {
  const withoutCode = text.replace(/`[^`]*`/g, ' ');
  // #[[x]] is a tag, not a link as well.
  const links = [...withoutCode.replace(/#\[\[[^[\]]*\]\]/g, ' ').matchAll(LINK)].map((m) => m[1]!.trim()).filter((s) => s !== '');
  const tags = [...withoutCode.matchAll(TAG)].map((m) => (m[1] ?? m[2] ?? '').trim()).filter((s) => s !== '');
  return { links, tags };
}

function frontMatter(lines: string[]): { props: [string, string][]; rest: string[] } {
  if (lines[0]?.trim() !== '---') return { props: [], rest: lines };
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (end < 0) return { props: [], rest: lines };
  const props: [string, string][] = [];
  let listKey: string | undefined;
  for (const line of lines.slice(1, end)) {
    const item = /^\s+-\s+(.*)$/.exec(line);
    if (item !== null && listKey !== undefined) {
      const prev = props.find((p) => p[0] === listKey);
      if (prev !== undefined) prev[1] = prev[1] === '' ? item[1]!.trim() : `${prev[1]}, ${item[1]!.trim()}`;
      continue;
    }
    const kv = /^([A-Za-z0-9_][\w-]*):\s*(.*)$/.exec(line);
    if (kv === null) continue;
    listKey = kv[1]!;
    props.push([kv[1]!, kv[2]!.trim().replace(/^\[(.*)\]$/, '$1')]);
  }
  return { props, rest: lines.slice(end + 1) };
}

function indentOf(line: string): number {
  let depth = 0;
  let spaces = 0;
  for (const ch of line) {
    if (ch === '\t') depth++;
    else if (ch === ' ') {
      if (++spaces === 2) {
        depth++;
        spaces = 0;
      }
    } else break;
  }
  return depth;
}

export function parsePage(source: string): ParsedPage {
  const { props: fm, rest } = frontMatter(source.split(/\r?\n/));
  const pageProps: [string, string][] = [...fm];
  const blocks: { text: string[]; depth: number; parent: number; props: [string, string][] }[] = [];
  const stack: number[] = []; // block index at each depth
  let inFence = false;
  let sawBlock = false;
  let paragraph: number | undefined;
  for (const raw of rest) {
    const line = raw.replace(/\s+$/, '');
    const trimmed = line.trim();
    if (trimmed.startsWith('```')) inFence = !inFence;
    const bullet = /^(\s*)[-*+]\s(.*)$/.exec(line);
    if (bullet !== null && !inFence) {
      const depth = Math.min(indentOf(bullet[1]!), MAX_DEPTH);
      stack.length = Math.min(stack.length, depth);
      const parent = depth === 0 ? -1 : (stack[Math.min(depth, stack.length) - 1] ?? -1);
      blocks.push({ text: [bullet[2]!], depth, parent, props: [] });
      stack[depth] = blocks.length - 1;
      sawBlock = true;
      paragraph = undefined;
      continue;
    }
    const prop = PROPERTY.exec(trimmed);
    if (prop !== null && !inFence) {
      if (!sawBlock) pageProps.push([prop[1]!, prop[2]!.trim()]);
      else blocks[blocks.length - 1]?.props.push([prop[1]!, prop[2]!.trim()]);
      continue;
    }
    if (trimmed === '') {
      paragraph = undefined;
      continue;
    }
    if (blocks.length > 0 && paragraph === undefined && (indentOf(line) > 0 || inFence || trimmed.startsWith('```'))) {
      blocks[blocks.length - 1]!.text.push(trimmed); // continuation of a bullet
      continue;
    }
    // A plain paragraph (Obsidian, or text outside bullets): a top-level block of its own.
    if (paragraph !== undefined) blocks[paragraph]!.text.push(trimmed);
    else {
      blocks.push({ text: [trimmed], depth: 0, parent: -1, props: [] });
      paragraph = blocks.length - 1;
      stack.length = 0;
      stack[0] = paragraph;
      sawBlock = true;
    }
  }
  const get = (k: string): string[] => pageProps.filter(([key]) => key.toLowerCase() === k).flatMap(([, v]) => listValues(v));
  return {
    properties: pageProps,
    aliases: [...get('alias'), ...get('aliases')],
    tags: [...get('tags')],
    blocks: blocks.map((b) => {
      const text = b.text.join('\n');
      const { links, tags } = linksIn(text);
      for (const [k, v] of b.props) if (k.toLowerCase() === 'tags') tags.push(...listValues(v));
      return { text, depth: b.depth, parent: b.parent, links, tags, properties: b.props };
    }),
  };
}
