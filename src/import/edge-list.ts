// SNAP edge lists: one "u v" pair per line (whitespace separated, extra columns ignored), comments
// starting with # or %. Undirected by default: one edge per unordered pair, so a pair listed both
// ways (or twice) is one edge. With `directed`, each line is a directed edge u -> v, and a pair
// listed both ways is two edges. Node ids are the file's ids plus `idOffset`.
import { edgeIdOf } from './ids.ts';
import { fileSize, readLines } from './lines.ts';
import { ImportError, type ImportItem, type ImportProgress, type ImportSource } from './source.ts';

export interface EdgeListOptions {
  readonly directed?: boolean;
  readonly idOffset?: number;
  /** Bad lines tolerated (each a warning) before the import fails. */
  readonly maxBadLines?: number;
}

const U32 = 0xffffffff;

export function edgeListSource(path: string, o: EdgeListOptions = {}): ImportSource {
  const offset = o.idOffset ?? 0;
  const maxBad = o.maxBadLines ?? 100;
  return {
    name: `edge list ${path}`,
    async *items(progress: (p: ImportProgress) => void, warn: (m: string) => void): AsyncIterable<ImportItem> {
      const total = fileSize(path);
      const seen = new Set<number>();
      let bad = 0;
      let edges = 0;
      for await (const line of readLines(path)) {
        if (line.number % 4096 === 0) progress({ done: line.offset, total, unit: 'bytes' });
        const text = line.text.trim();
        if (text === '' || text.startsWith('#') || text.startsWith('%')) continue;
        const [a, b] = text.split(/\s+/);
        const u = Number(a) + offset;
        const v = Number(b) + offset;
        if (!/^\d+$/.test(a ?? '') || !/^\d+$/.test(b ?? '') || u > U32 || v > U32) {
          warn(`${path}:${line.number}: not an edge "u v" of non-negative integer ids: ${JSON.stringify(text.slice(0, 80))}`);
          if (++bad > maxBad) throw new ImportError(`${path}: more than ${maxBad} malformed lines; is this an edge list?`);
          continue;
        }
        for (const id of [u, v]) {
          if (!seen.has(id)) {
            seen.add(id);
            yield { node: { id, title: String(id - offset) } };
          }
        }
        const directed = o.directed === true;
        const [s, t] = directed || u <= v ? [u, v] : [v, u];
        yield { edge: { id: edgeIdOf('edge-list', s, t), source: s, target: t, directed } };
        edges++;
      }
      progress({ done: total, total, unit: 'bytes' });
      if (edges === 0) throw new ImportError(`${path}: no edges found`);
    },
  };
}
