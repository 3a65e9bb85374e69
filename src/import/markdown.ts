// A Logseq or Obsidian folder of markdown pages -> nodes and edges:
//   page            node (type "page", or "journal" under a journals/ folder; title = page name or
//                   its title:: property; properties and aliases as metadata)
//   block           node (type "block"; content = the block's text), edge page/parent -> block "contains"
//   [[link]]        edge block -> page "links-to" (an alias links to its page)
//   #tag, tags::    edge block/page -> page "tagged"
//   missing page    node (kind concept, type "page"; "tag" when a #tag named it first) so that
//                   links never dangle
// Every edge is directed, from the page or block that holds the reference to what it refers to: a
// link is written on one side only. Ids derive from page names and block positions, so re-importing
// is idempotent. Two passes:
// every page is read first so that aliases resolve whatever the file order.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { normaliseMetadata } from '../graph/model.ts';
import { edgeIdOf, NodeIds } from './ids.ts';
import { parsePage, type ParsedPage } from './markdown-page.ts';
import { clip, ImportError, type ImportItem, type ImportProgress, type ImportSource } from './source.ts';

export interface MarkdownOptions {
  /** Files bigger than this are skipped with a warning. */
  readonly maxFileBytes?: number;
  readonly maxFiles?: number;
}

interface Page {
  readonly name: string;
  readonly file: string;
  readonly parsed: ParsedPage;
  readonly journal: boolean;
}

const key = (name: string): string => name.trim().toLowerCase();

/** Logseq file names: "a___b.md" is page "a/b"; %-escapes decoded; journals "2022_01_31" -> "2022-01-31". */
export function pageNameOf(file: string, journal: boolean): string {
  let base = file.replace(/\.md$/i, '');
  try {
    base = decodeURIComponent(base);
  } catch {
    // not %-encoded after all: keep it as it is
  }
  base = base.replace(/___/g, '/');
  return journal ? base.replace(/_/g, '-') : base;
}

async function listMarkdown(dir: string, max: number, warn: (m: string) => void): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > 32) return warn(`${d}: folders nested deeper than 32, skipped`);
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (error) {
      return warn(`${d}: cannot list (${error instanceof Error ? error.message : String(error)})`);
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.') || e.name === 'logseq' || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (e.isFile() && /\.md$/i.test(e.name)) {
        if (out.length >= max) throw new ImportError(`${dir}: more than ${max} markdown files`);
        out.push(p);
      }
    }
  };
  await walk(dir, 0);
  return out;
}

export function markdownSource(dir: string, o: MarkdownOptions = {}): ImportSource {
  const maxFileBytes = o.maxFileBytes ?? 8 * 1024 * 1024;
  return {
    name: `markdown ${dir}`,
    async *items(progress: (p: ImportProgress) => void, warn: (m: string) => void): AsyncIterable<ImportItem> {
      try {
        if (!(await stat(dir)).isDirectory()) throw new ImportError(`${dir} is not a folder`);
      } catch (error) {
        if (error instanceof ImportError) throw error;
        throw new ImportError(`cannot read ${dir}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const files = await listMarkdown(dir, o.maxFiles ?? 100_000, warn);
      if (files.length === 0) throw new ImportError(`${dir}: no markdown files`);
      const pages: Page[] = [];
      let done = 0;
      for (const file of files) {
        done++;
        const rel = relative(dir, file);
        try {
          const size = (await stat(file)).size;
          if (size > maxFileBytes) {
            warn(`${rel}: ${size} bytes, over the ${maxFileBytes}-byte limit; skipped`);
            continue;
          }
          const text = await readFile(file, 'utf8');
          if (text.includes('\u0000')) {
            warn(`${rel}: binary content; skipped`);
            continue;
          }
          const parsed = parsePage(text);
          const fileName = rel.split(/[\\/]/).pop()!;
          const journal = /(^|[\\/])journals[\\/]/.test(rel);
          const titleProp = parsed.properties.find(([k]) => k.toLowerCase() === 'title')?.[1];
          pages.push({ name: clip(titleProp ?? pageNameOf(fileName, journal), 1024), file: rel, parsed, journal });
        } catch (error) {
          warn(`${rel}: ${error instanceof Error ? error.message : String(error)}; skipped`);
        }
        progress({ done: done / 2, total: files.length, unit: 'files' });
      }

      const ids = new NodeIds();
      const canonical = new Map<string, string>(); // name or alias key -> page key
      for (const p of pages) {
        if (canonical.has(key(p.name)) && canonical.get(key(p.name)) !== key(p.name)) continue;
        canonical.set(key(p.name), key(p.name));
      }
      for (const p of pages) for (const a of p.parsed.aliases) if (!canonical.has(key(a))) canonical.set(key(a), key(p.name));
      const pageId = (name: string): number => ids.idOf(`page:${canonical.get(key(name)) ?? key(name)}`);

      const emitted = new Set<number>();
      const placeholders: string[] = [];
      /** Missing pages a #tag named before any link did. */
      const tagFirst = new Set<string>();
      const target = (name: string, tag = false): number => {
        const id = pageId(name);
        if (!canonical.has(key(name)) && !emitted.has(id)) {
          if (tag && !placeholders.some((p) => key(p) === key(name))) tagFirst.add(key(name));
          placeholders.push(name);
        }
        return id;
      };
      // Pages first (so every edge's endpoints exist), then their blocks and edges.
      for (const p of pages) {
        const id = pageId(p.name);
        if (emitted.has(id)) {
          warn(`${p.file}: page "${p.name}" is also defined by another file; merged into one node`);
          continue;
        }
        emitted.add(id);
        const meta: [string, string][] = p.parsed.properties.map(([k, v]) => [clip(k, 256), clip(v, 65536)]);
        meta.push(['file', clip(p.file, 65536)]);
        yield {
          node: {
            id,
            kind: 'knowledge',
            type: p.journal ? 'journal' : 'page',
            title: p.name,
            metadata: normaliseMetadata(meta).slice(0, 1024),
          },
        };
      }
      done = 0;
      for (const p of pages) {
        done++;
        const page = pageId(p.name);
        const edges: ImportItem[] = [];
        const blockIds: number[] = [];
        const seenEdge = new Set<bigint>();
        const edge = (source: number, targetId: number, type: string): void => {
          const id = edgeIdOf('md', source, targetId, type);
          if (seenEdge.has(id)) return;
          seenEdge.add(id);
          edges.push({ edge: { id, source, target: targetId, type, directed: true } });
        };
        for (const tag of p.parsed.tags) edge(page, target(tag, true), 'tagged');
        for (const [i, b] of p.parsed.blocks.entries()) {
          const id = ids.idOf(`block:${key(p.name)}:${i}`);
          blockIds.push(id);
          const meta = normaliseMetadata(b.properties.map(([k, v]) => [clip(k, 256), clip(v, 65536)] as const)).slice(0, 1024);
          const firstLine = b.text.split('\n', 1)[0] ?? '';
          yield {
            node: { id, kind: 'knowledge', type: 'block', title: clip(firstLine, 1024), content: clip(b.text, 1_048_576), metadata: meta },
          };
          edge(b.parent < 0 ? page : blockIds[b.parent]!, id, 'contains');
          for (const l of b.links) edge(id, target(l), 'links-to');
          for (const t of b.tags) edge(id, target(t, true), 'tagged');
        }
        while (placeholders.length > 0) {
          const name = placeholders.pop()!;
          const id = pageId(name);
          if (emitted.has(id)) continue;
          emitted.add(id);
          yield { node: { id, kind: 'concept', type: tagFirst.has(key(name)) ? 'tag' : 'page', title: clip(name, 1024), metadata: [] } };
        }
        yield* edges;
        progress({ done: (files.length * (1 + done / pages.length)) / 2, total: files.length, unit: 'files' });
      }
      if (ids.collisions > 0) warn(`${ids.collisions} node-id hash collisions resolved by probing (ids stay distinct)`);
    },
  };
}
