// Reads a DIMACS shortest-path graph (.gr: "p sp N M", then "a u v w" per arc, 1-based ids; "c"
// lines are comments) into parallel arrays. Node ids stay 1-based, as in the file.
export interface DimacsGraph {
  readonly nodeCount: number;
  readonly nodeIds: Uint32Array;
  readonly source: Uint32Array;
  readonly target: Uint32Array;
  readonly weight: Float64Array;
}

export function parseDimacs(text: string): DimacsGraph {
  let n = -1;
  let m = -1;
  let k = 0;
  let source = new Uint32Array(0);
  let target = new Uint32Array(0);
  let weight = new Float64Array(0);
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (line === '' || line.startsWith('c')) continue;
    const f = line.split(/\s+/);
    if (f[0] === 'p') {
      if (f[1] !== 'sp' || f.length !== 4) throw new Error(`line ${ln + 1}: expected "p sp N M"`);
      n = Number(f[2]);
      m = Number(f[3]);
      if (!Number.isSafeInteger(n) || !Number.isSafeInteger(m) || n < 0 || m < 0) throw new Error(`line ${ln + 1}: bad sizes`);
      source = new Uint32Array(m);
      target = new Uint32Array(m);
      weight = new Float64Array(m);
    } else if (f[0] === 'a') {
      if (n < 0) throw new Error(`line ${ln + 1}: arc before the problem line`);
      if (k >= m) throw new Error(`line ${ln + 1}: more arcs than the ${m} announced`);
      const u = Number(f[1]);
      const v = Number(f[2]);
      const w = Number(f[3]);
      if (!(u >= 1 && u <= n && v >= 1 && v <= n && Number.isInteger(u) && Number.isInteger(v) && Number.isFinite(w))) {
        throw new Error(`line ${ln + 1}: bad arc "${line}"`);
      }
      source[k] = u;
      target[k] = v;
      weight[k] = w;
      k++;
    } else {
      throw new Error(`line ${ln + 1}: unknown line "${line}"`);
    }
  }
  if (k !== m) throw new Error(`${k} arcs, the problem line announced ${m}`);
  return { nodeCount: n, nodeIds: Uint32Array.from({ length: n }, (_, i) => i + 1), source, target, weight };
}
