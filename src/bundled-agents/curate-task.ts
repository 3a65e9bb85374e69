// The curator's task (capability "curate"): orphans, near-duplicate titles and single-use tags in
// one report, shared as knowledge linked to the nodes it names, and returned as the result.
// Orphans have no edge, so the edge list never shows them: they are looked for among the pages
// the input names (the HTTP API has no list of all nodes; docs/agents.md).
import type { TaskHandler } from '../sdk/task-context.ts';
import { curate } from './curator.ts';
import type { GraphClient } from './graph-client.ts';
import type { SnapshotCache } from './graph-snapshot.ts';
import { parsePagesInput } from './task-input.ts';
import { clipUtf8 } from './text.ts';

/** Nodes a report's knowledge links to at most. */
const MAX_LINKED = 1_000;

export function curateTask(client: GraphClient, snapshots: SnapshotCache): TaskHandler {
  return async (task, ctx) => {
    const { pages } = parsePagesInput(task.input, false);
    const snapshot = await snapshots.get(ctx.signal);
    ctx.progress(0.5);
    const named = pages.filter((id) => !snapshot.nodes.has(id));
    const extra = named.length === 0 ? [] : await client.nodes(named, false, ctx.signal);
    const nodes = [...snapshot.nodes.values(), ...extra];
    const report = curate(nodes, snapshot.edges, { maxReported: 500 });
    const lines = [
      `Orphan pages (${report.orphans.length}): ${report.orphans.map((o) => o.title).join(', ') || 'none'}`,
      `Near-duplicate titles (${report.nearDuplicates.length}): ${report.nearDuplicates.map((d) => `${d.titles[0]} ~ ${d.titles[1]}`).join('; ') || 'none'}`,
      `Tags used once (${report.singleUseTags.length}): ${report.singleUseTags.map((s) => s.tag).join(', ') || 'none'}`,
    ];
    const linked = [
      ...new Set([
        ...report.orphans.map((o) => o.id),
        ...report.nearDuplicates.flatMap((d) => [d.a, d.b]),
        ...report.singleUseTags.flatMap((s) => (s.id === undefined ? [] : [s.id])),
      ]),
    ].slice(0, MAX_LINKED);
    ctx.share('Curation report', clipUtf8(lines.join('\n'), 1 << 20), linked);
    return { ...report, nodesRead: nodes.length, edgesRead: snapshot.edges.length, orphansAmong: 'the pages named in the input' };
  };
}
