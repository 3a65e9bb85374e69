// The linker's task (capability "link"): for each page named in the input, the unlinked mentions
// of other pages' titles in its text. One KnowledgeShare per page with proposals, linked to the
// page and each proposed target; the result lists every proposal.
import type { TaskHandler } from '../sdk/task-context.ts';
import type { GraphClient } from './graph-client.ts';
import type { SnapshotCache } from './graph-snapshot.ts';
import { titleIndex, unlinkedMentions, type LinkProposal } from './linker.ts';
import { readPage } from './page-text.ts';
import { parsePagesInput } from './task-input.ts';
import { clipUtf8 } from './text.ts';

/** Proposals in one result at most (a result is at most 1 MiB). */
const MAX_PROPOSALS = 4_000;

export function linkTask(client: GraphClient, snapshots: SnapshotCache): TaskHandler {
  return async (task, ctx) => {
    const { pages } = parsePagesInput(task.input, true);
    const snapshot = await snapshots.get(ctx.signal);
    const titles = titleIndex([...snapshot.nodes.values()].filter((n) => n.type !== 'block' && n.title !== ''));
    ctx.progress(0.1, JSON.stringify({ titles: titles.size }));
    const proposals: LinkProposal[] = [];
    const missing: number[] = [];
    for (const [i, id] of pages.entries()) {
      ctx.signal.throwIfAborted();
      const page = await readPage(client, snapshot, id, ctx.signal);
      if (page === undefined) {
        missing.push(id);
        ctx.progress(0.1 + (0.9 * (i + 1)) / pages.length);
        continue;
      }
      const found = unlinkedMentions(page, titles).slice(0, MAX_PROPOSALS - proposals.length);
      proposals.push(...found);
      if (found.length > 0) {
        const lines = found.map((p) => `- ${p.title} → node ${p.to}: “${p.excerpt}”`);
        ctx.share(
          clipUtf8(`Unlinked mentions in ${page.title}`, 1024),
          clipUtf8(`${page.title} mentions ${found.length} page(s) it does not link to:\n${lines.join('\n')}`, 1 << 20),
          [page.id, ...found.map((p) => p.to)],
        );
      }
      ctx.progress(0.1 + (0.9 * (i + 1)) / pages.length);
    }
    return { proposals, pages: pages.length, missing, truncated: proposals.length >= MAX_PROPOSALS };
  };
}
