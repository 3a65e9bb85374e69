// The first start's example graph. A store nothing was ever written to (no graph event, no
// snapshot, no settings change) gets the Logseq documentation graph (samples/logseq-docs) through
// the running node's own graph router, before `npm start` prints the URL, so that a newcomer opens
// a real graph rather than an empty canvas. Any other store is left as it is: one whose graph was
// emptied has events (removals are events too), and one that was used with VF_DEMO=0 and had its
// settings changed has settings deltas. A store that was only ever started with VF_DEMO=0 and never
// written to is still new, and a later start without it imports the example.
import type { Logger } from 'pino';
import { sourceFor } from '../import/run.ts';
import { LOGSEQ_DOCS } from '../import/samples.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { journalHighWater } from '../storage/journal-store.ts';
import type { SqlQueryable } from '../storage/sql.ts';
import { importWithProgress, routerSender } from './import-progress.ts';

/** Whether nothing was ever written to the store: read before the node boots (which writes nothing but the shard count). */
export async function storeIsNew(db: SqlQueryable): Promise<boolean> {
  const high = await journalHighWater(db);
  if (high.seq > 0 || high.unit > 0) return false;
  const settings = await db.query('SELECT 1 FROM settings_deltas LIMIT 1');
  return settings.length === 0;
}

export interface ExampleImport {
  readonly nodes: number;
  readonly edges: number;
  readonly seconds: number;
}

/** Imports the Logseq documentation graph through the graph router of `system`, with a progress bar on stderr. */
export async function importExampleGraph(system: ActorSystem, routerPath: string): Promise<ExampleImport> {
  const source = sourceFor('logseq', LOGSEQ_DOCS);
  const { summary, seconds } = await importWithProgress(routerSender(system, routerPath), source, { label: 'Logseq docs' });
  return { nodes: summary.nodes, edges: summary.edges, seconds };
}

/** Whether VF_DEMO lets the first start import the example (anything but 0, false, off or no). */
export function exampleWanted(value: string | undefined): boolean {
  return !/^(0|false|off|no)$/i.test(value?.trim() ?? '');
}

/**
 * The import and its one log line; a failed import is logged and the node serves on. `stopping`:
 * whether the node was told to stop meanwhile (the import then fails quietly: the tree is going).
 */
export async function importFirstExample(
  system: ActorSystem,
  routerPath: string,
  log: Logger,
  stopping: () => boolean = () => false,
): Promise<void> {
  try {
    const done = await importExampleGraph(system, routerPath);
    log.info(
      { nodes: done.nodes, edges: done.edges, seconds: Number(done.seconds.toFixed(1)), from: 'samples/logseq-docs' },
      'a new store: imported the Logseq documentation graph as a first example (VF_DEMO=0 starts empty)',
    );
  } catch (error) {
    if (stopping()) return;
    log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'could not import the first example graph; serving the empty store',
    );
  }
}
