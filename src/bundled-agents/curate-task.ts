// The curator's task (capability "curate"): orphans, near-duplicate titles and single-use tags in
// one report, shared as knowledge linked to the nodes it names, and returned as the result.
// Orphans (pages no edge touches) are looked for among every page of the node list, or among the
// pages the input names when it names any.
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
    // A page named but not in the snapshot (listed after it was read, or past its bound) is read too.
    const unlisted = pages.filter((id) => !snapshot.nodes.has(id));
    const extra = unlisted.length === 0 ? [] : await client.nodes(unlisted, false, ctx.signal);
    const nodes = [...snapshot.nodes.values(), ...extra];
    const all = curate(nodes, snapshot.edges, { maxReported: 500 });
    const named = new Set(pages);
    const report = pages.length === 0 ? all : { ...all, orphans: all.orphans.filter((o) => named.has(o.id)) };
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
    return {
      ...report,
      nodesRead: nodes.length,
      edgesRead: snapshot.edges.length,
      orphansAmong: pages.length === 0 ? 'every page' : 'the pages named in the input',
    };
  };
}
