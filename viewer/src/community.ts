// Communities by label propagation: every node starts in its own; in turn, each takes the label most
// of its neighbours carry (ties: it keeps its own if that is among the most, else the smallest), until
// a pass changes nothing or MAX_PASSES have run. Deterministic for a given node order; O(edges) a
// pass. Good enough to colour a social graph's circles apart; not a modularity optimum.

export const MAX_PASSES = 20;

/** Community label per node id (the label is one member's id). */
export function labelPropagation(ids: ArrayLike<number>, neighbours: (id: number) => readonly number[]): Map<number, number> {
  const label = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) label.set(ids[i]!, ids[i]!);
  const counts = new Map<number, number>();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let changed = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const around = neighbours(id);
      if (around.length === 0) continue;
      counts.clear();
      let best = 0;
      for (const n of around) {
        const l = label.get(n);
        if (l === undefined) continue;
        const c = (counts.get(l) ?? 0) + 1;
        counts.set(l, c);
        if (c > best) best = c;
      }
      const own = label.get(id)!;
      if (counts.get(own) === best) continue;
      let pick = Infinity;
      for (const [l, c] of counts) if (c === best && l < pick) pick = l;
      if (pick !== Infinity && pick !== own) {
        label.set(id, pick);
        changed++;
      }
    }
    if (changed === 0) break;
  }
  return label;
}
