// A node's content as markdown, built as DOM nodes from a tight subset, never from markup: headings,
// paragraphs, lists, quotes, code blocks, `code`, **bold**, *emphasis*, links to http(s) and mailto
// addresses only, Logseq and Obsidian [[page links]] and #tags (which open that page here), and
// "key:: value" properties shown as such. Anything else, raw HTML included, stays text: every string
// goes in through textContent or a text node, and no attribute but a checked href is ever set from
// the content. Written rather than taken from a library: the subset is small, and a general
// renderer would need a sanitiser besides.
import { el } from './dom.ts';

export interface MarkdownLinks {
  /** A [[page]] or #tag was followed. */
  openPage(title: string): void;
}

/** Longest content rendered; the rest is left out (the panel says how much). */
export const MAX_MARKDOWN_CHARS = 20_000;

const SAFE_URL = /^(https?:\/\/|mailto:)[^\s<>"']+$/i;

// Alternatives, in order: code, wiki link, tag with [[..]], plain tag, markdown link, bare URL, bold, emphasis.
// Emphasis opens before a non-space and closes after one, and underscores never inside a word.
const INLINE =
  /`([^`\n]+)`|\[\[([^\]\n]{1,300})\]\]|#\[\[([^\]\n]{1,300})\]\]|(?<![\w#])#([\p{L}\p{N}_\-/]{1,100}(?:\.[\p{L}\p{N}_\-/]{1,100})*)|\[([^\]\n]{1,500})\]\(([^)\s]{1,2000})\)|(https?:\/\/[^\s<>()"']{1,2000})|\*\*(?!\s)([^*\n]{1,2000}?)(?<!\s)\*\*|(?<![\w])__(?!\s)([^_\n]{1,2000}?)(?<!\s)__(?![\w])|\*(?![\s*])([^*\n]{1,2000}?)(?<!\s)\*|(?<![\w])_(?![\s_])([^_\n]{1,2000}?)(?<!\s)_(?![\w])/gu;

function inline(text: string, links: MarkdownLinks, depth = 0): Node[] {
  const out: Node[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index;
    if (at > last) out.push(document.createTextNode(text.slice(last, at)));
    last = at + m[0].length;
    const [, code, wiki, tagWords, tag, linkText, href, bare, bold1, bold2, em1, em2] = m;
    if (code !== undefined) out.push(el('code', { text: code }));
    else if (wiki !== undefined || tagWords !== undefined || tag !== undefined) {
      const title = (wiki ?? tagWords ?? tag)!.trim();
      const a = el('a', {
        className: wiki !== undefined ? 'wiki' : 'tag',
        text: wiki !== undefined ? title : `#${title}`,
        title: `Open ${title}`,
      });
      a.href = '#';
      a.addEventListener('click', (e) => {
        e.preventDefault();
        links.openPage(title);
      });
      out.push(a);
    } else if (linkText !== undefined && href !== undefined) {
      if (SAFE_URL.test(href)) out.push(external(href, depth < 2 ? inline(linkText, links, depth + 1) : [linkText]));
      else out.push(document.createTextNode(m[0]));
    } else if (bare !== undefined) out.push(external(bare, [bare]));
    else if ((bold1 ?? bold2) !== undefined)
      out.push(el('strong', {}, depth < 2 ? inline((bold1 ?? bold2)!, links, depth + 1) : [(bold1 ?? bold2)!]));
    else if ((em1 ?? em2) !== undefined) out.push(el('em', {}, depth < 2 ? inline((em1 ?? em2)!, links, depth + 1) : [(em1 ?? em2)!]));
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

function external(href: string, children: readonly (Node | string)[]): HTMLAnchorElement {
  const a = el('a', { className: 'external', title: href }, children);
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer nofollow';
  return a;
}

interface ListFrame {
  readonly indent: number;
  readonly list: HTMLElement;
}

/** The content as DOM nodes (a fragment to append). */
export function renderMarkdown(source: string, links: MarkdownLinks): DocumentFragment {
  const out = document.createDocumentFragment();
  const text = source.length > MAX_MARKDOWN_CHARS ? source.slice(0, MAX_MARKDOWN_CHARS) : source;
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let paragraph: string[] = [];
  let lists: ListFrame[] = [];
  const flush = (): void => {
    if (paragraph.length > 0) {
      const p = el('p');
      paragraph.forEach((line, i) => {
        if (i > 0) p.append(el('br'));
        p.append(...inline(line, links));
      });
      out.append(p);
      paragraph = [];
    }
  };
  const endLists = (): void => {
    lists = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s*(```|~~~)(.*)$/.exec(line);
    if (fence !== null) {
      flush();
      endLists();
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trim().startsWith(fence[1]!); i++) body.push(lines[i]!);
      out.append(el('pre', {}, [el('code', { text: body.join('\n') })]));
      continue;
    }
    if (line.trim() === '') {
      flush();
      endLists();
      continue;
    }
    const heading = /^\s*(#{1,6})\s+(.*)$/.exec(line);
    if (heading !== null) {
      flush();
      endLists();
      const level = Math.min(6, heading[1]!.length + 3) as 4 | 5 | 6;
      out.append(el(`h${level}`, {}, inline(heading[2]!, links)));
      continue;
    }
    const property = /^\s*([\w\-.]{1,100})::\s?(.*)$/u.exec(line);
    if (property !== null) {
      flush();
      endLists();
      out.append(
        el('p', { className: 'property' }, [el('span', { className: 'key', text: property[1]! }), ' ', ...inline(property[2]!, links)]),
      );
      continue;
    }
    const quote = /^\s*>\s?(.*)$/.exec(line);
    if (quote !== null) {
      flush();
      endLists();
      out.append(el('blockquote', {}, inline(quote[1]!, links)));
      continue;
    }
    const item = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (item !== null) {
      flush();
      const indent = item[1]!.replace(/\t/g, '  ').length;
      const ordered = /\d/.test(item[2]!);
      while (lists.length > 0 && lists[lists.length - 1]!.indent > indent) lists.pop();
      let frame = lists[lists.length - 1];
      if (frame === undefined || frame.indent < indent) {
        const list = el(ordered ? 'ol' : 'ul');
        const parentItem = frame?.list.lastElementChild;
        (parentItem ?? out).appendChild(list);
        frame = { indent, list };
        lists.push(frame);
      }
      frame.list.append(el('li', {}, inline(item[3]!, links)));
      continue;
    }
    if (lists.length > 0) {
      // A continuation line of the last item.
      const li = lists[lists.length - 1]!.list.lastElementChild;
      if (li !== null) {
        li.append(el('br'), ...inline(line.trim(), links));
        continue;
      }
    }
    paragraph.push(line.trim());
  }
  flush();
  return out;
}
