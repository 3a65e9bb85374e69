// One figure of a benchmark: printed as a row of the human table and as one JSON line that CI and
// the closing notes read. `ratio` is peer_value / value for "lower is better" units and value /
// peer_value for "higher is better" ones, so a ratio above 1 always means we beat the peer.

export interface Figure {
  suite: string;
  metric: string;
  value: number;
  unit: string;
  peer: string | null;
  peer_value: number | null;
  ratio: number | null;
}

const HIGHER_IS_BETTER = /\/s$|^x$|ops|msgs/;

export function figure(suite: string, metric: string, value: number, unit: string, peer?: { name: string; value: number }): Figure {
  let ratio: number | null = null;
  if (peer !== undefined && peer.value > 0 && value > 0) {
    ratio = HIGHER_IS_BETTER.test(unit) ? value / peer.value : peer.value / value;
  }
  return {
    suite,
    metric,
    value: round(value),
    unit,
    peer: peer?.name ?? null,
    peer_value: peer === undefined ? null : round(peer.value),
    ratio: ratio === null ? null : round(ratio),
  };
}

function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  const magnitude = Math.abs(x);
  const digits = magnitude >= 100 ? 1 : magnitude >= 1 ? 3 : 6;
  return Number(x.toFixed(digits));
}

/** Prints the human table, then one JSON line per figure. */
export function report(title: string, figures: readonly Figure[]): void {
  const rows = figures.map((f) => [
    f.metric,
    `${f.value} ${f.unit}`,
    f.peer === null ? '' : `${f.peer}: ${f.peer_value} ${f.unit}`,
    f.ratio === null ? '' : `${f.ratio}x`,
  ]);
  const header = ['metric', 'ours', 'peer', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const f of figures) console.log(JSON.stringify(f));
}

/** Progress for long runs goes to stderr so stdout stays table + JSON. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
