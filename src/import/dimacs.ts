// DIMACS shortest-path graphs (.gr): "c" comments, one "p sp N M" problem line, then M arcs
// "a u v w" with 1-based ids and non-negative integer weights. Nodes 1..N become node ids
// (plus `idOffset`); parallel arcs stay distinct edges (their ids count repeats of a pair). Arcs
// are directed edges: a road network's one-way streets are followed one way only.
import { edgeIdOf } from './ids.ts';
import { fileSize, readLines } from './lines.ts';
import { ImportError, type ImportItem, type ImportProgress, type ImportSource } from './source.ts';

export interface DimacsOptions {
  readonly idOffset?: number;
}

const MAX_NODES = 50_000_000;

export function dimacsSource(path: string, o: DimacsOptions = {}): ImportSource {
  const offset = o.idOffset ?? 0;
  return {
    name: `DIMACS ${path}`,
    async *items(progress: (p: ImportProgress) => void): AsyncIterable<ImportItem> {
      const total = fileSize(path);
      let n = -1;
      let m = -1;
      let arcs = 0;
      const repeats = new Map<string, number>();
      for await (const line of readLines(path)) {
        if (line.number % 4096 === 0) progress({ done: line.offset, total, unit: 'bytes' });
        const text = line.text.trim();
        if (text === '' || text.startsWith('c')) continue;
        const f = text.split(/\s+/);
        const where = `${path}:${line.number}`;
        if (f[0] === 'p') {
          if (n >= 0) throw new ImportError(`${where}: a second problem line`);
          if (f[1] !== 'sp' || f.length !== 4 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!))
            throw new ImportError(`${where}: expected "p sp <nodes> <arcs>"`);
          n = Number(f[2]);
          m = Number(f[3]);
          if (n > MAX_NODES || n + offset > 0xffffffff) throw new ImportError(`${where}: ${n} nodes is more than this importer takes`);
          for (let i = 1; i <= n; i++) yield { node: { id: i + offset, title: String(i) } };
          continue;
        }
        if (f[0] !== 'a') throw new ImportError(`${where}: unknown line type "${f[0]!.slice(0, 10)}"`);
        if (n < 0) throw new ImportError(`${where}: arc before the problem line`);
        if (f.length !== 4 || !f.slice(1).every((x) => /^\d+$/.test(x))) throw new ImportError(`${where}: expected "a <u> <v> <weight>"`);
        const u = Number(f[1]);
        const v = Number(f[2]);
        const w = Number(f[3]);
        if (u < 1 || u > n || v < 1 || v > n) throw new ImportError(`${where}: arc ${u} -> ${v} outside nodes 1..${n}`);
        if (!Number.isSafeInteger(w) || w > 3.4e38) throw new ImportError(`${where}: weight ${f[3]} out of range`);
        if (++arcs > m) throw new ImportError(`${where}: more arcs than the ${m} announced`);
        const key = `${u},${v}`;
        const k = repeats.get(key) ?? 0;
        repeats.set(key, k + 1);
        yield {
          edge: { id: edgeIdOf('dimacs', u + offset, v + offset, k), source: u + offset, target: v + offset, weight: w, directed: true },
        };
      }
      if (n < 0) throw new ImportError(`${path}: no "p sp" problem line; is this a DIMACS .gr file?`);
      if (arcs !== m) throw new ImportError(`${path}: ${arcs} arcs, but the problem line announced ${m}`);
      progress({ done: total, total, unit: 'bytes' });
    },
  };
}
