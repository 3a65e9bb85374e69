// The summariser's task (capability "summarise"): an extractive summary of each page named in the
// input (TextRank, three sentences in their original order), shared as knowledge linked to the page.
import type { TaskHandler } from '../sdk/task-context.ts';
import type { GraphClient } from './graph-client.ts';
import type { SnapshotCache } from './graph-snapshot.ts';
import { readPage } from './page-text.ts';
import { parsePagesInput } from './task-input.ts';
import { clipUtf8 } from './text.ts';
import { summarise } from './textrank.ts';

/** Characters of each summary sentence kept in the result. */
const MAX_SENTENCE_CHARS = 600;

export function summariseTask(client: GraphClient, snapshots: SnapshotCache): TaskHandler {
  return async (task, ctx) => {
    const { pages } = parsePagesInput(task.input, true);
    const snapshot = await snapshots.get(ctx.signal);
    const summaries: { page: number; title: string; summary: string[] }[] = [];
    const missing: number[] = [];
    for (const [i, id] of pages.entries()) {
      ctx.signal.throwIfAborted();
      const page = await readPage(client, snapshot, id, ctx.signal);
      if (page === undefined) {
        missing.push(id);
        ctx.progress((i + 1) / pages.length);
        continue;
      }
      const summary = summarise(page.text, { count: 3 }).map((s) =>
        s.length > MAX_SENTENCE_CHARS ? `${s.slice(0, MAX_SENTENCE_CHARS)}…` : s,
      );
      summaries.push({ page: page.id, title: page.title, summary });
      if (summary.length > 0) ctx.share(clipUtf8(`Summary of ${page.title}`, 1024), clipUtf8(summary.join(' '), 1 << 20), [page.id]);
      ctx.progress((i + 1) / pages.length);
    }
    return { summaries, missing };
  };
}
