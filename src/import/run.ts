// Runs an importer into the graph: its items become add-node / add-edge ops with upsert (so a
// re-import of the same source changes nothing, and a changed source updates in place), sent as
// batch commands of `batchSize` ops, a few in flight at once. Every command is validated by the
// router like any client input; a refused command stops the import with the router's reason.
import type { GraphAck } from '../graph/ack.ts';
import { dimacsSource } from './dimacs.ts';
import { edgeListSource } from './edge-list.ts';
import { jsonSource } from './json.ts';
import { markdownSource } from './markdown.ts';
import { ImportError, type ImportItem, type ImportProgress, type ImportSource } from './source.ts';

export const FORMATS = ['logseq', 'obsidian', 'markdown', 'snap', 'edgelist', 'dimacs', 'json'] as const;
export type ImportFormat = (typeof FORMATS)[number];

export interface SourceOptions {
  readonly directed?: boolean;
  readonly idOffset?: number;
}

export function sourceFor(format: string, path: string, o: SourceOptions = {}): ImportSource {
  switch (format as ImportFormat) {
    case 'logseq':
    case 'obsidian':
    case 'markdown':
      return markdownSource(path);
    case 'snap':
    case 'edgelist':
      return edgeListSource(path, o);
    case 'dimacs':
      return dimacsSource(path, o);
    case 'json':
      return jsonSource(path);
    default:
      throw new ImportError(`unknown format "${format}"; one of ${FORMATS.join(', ')}`);
  }
}

export interface ImportOptions {
  readonly batchSize?: number;
  /** Batches awaiting their ack at once. */
  readonly inFlight?: number;
  readonly onProgress?: (p: ImportProgress) => void;
  readonly onWarning?: (message: string) => void;
}

export interface ImportSummary {
  readonly nodes: number;
  readonly edges: number;
  readonly applied: number;
  readonly unchanged: number;
  readonly conflicts: number;
  readonly batches: number;
  readonly warnings: number;
}

export type CommandSender = (command: unknown) => Promise<GraphAck>;

function opOf(item: ImportItem): unknown {
  if ('node' in item) return { op: 'add-node', node: item.node, upsert: true };
  return { op: 'add-edge', edge: item.edge, upsert: true };
}

export async function importInto(send: CommandSender, source: ImportSource, o: ImportOptions = {}): Promise<ImportSummary> {
  const batchSize = o.batchSize ?? 2_000;
  const inFlight = o.inFlight ?? 4;
  let nodes = 0;
  let edges = 0;
  let applied = 0;
  let unchanged = 0;
  let conflicts = 0;
  let batches = 0;
  let warnings = 0;
  const pending = new Set<Promise<void>>();
  let failure: Error | undefined;
  const flush = (ops: unknown[]): void => {
    batches++;
    const p = send({ op: 'batch', ops }).then(
      (ack) => {
        if (!ack.ok) {
          failure ??= new ImportError(`the graph refused batch ${batches}: ${ack.error.code}: ${ack.error.message}`);
          return;
        }
        for (const r of ack.results) {
          if (r.status === 'applied') applied++;
          else if (r.status === 'unchanged') unchanged++;
          else conflicts++;
        }
      },
      (error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
      },
    );
    const tracked = p.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  let ops: unknown[] = [];
  for await (const item of source.items(
    (p) => o.onProgress?.(p),
    (m) => {
      warnings++;
      o.onWarning?.(m);
    },
  )) {
    if (failure !== undefined) break;
    if ('node' in item) nodes++;
    else edges++;
    ops.push(opOf(item));
    if (ops.length >= batchSize) {
      flush(ops);
      ops = [];
      while (pending.size >= inFlight) await Promise.race(pending);
    }
  }
  if (ops.length > 0 && failure === undefined) flush(ops);
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
  return { nodes, edges, applied, unchanged, conflicts, batches, warnings };
}
