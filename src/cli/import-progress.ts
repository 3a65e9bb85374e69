// What both CLIs share to import a data set: `npm run import` into a graph of its own, `npm start`
// into the running node's graph (the first start's demo). The commands go to the graph router by
// ask, like any client's; a progress bar on stderr follows the input (only on a terminal), and the
// first warnings are printed after it.
import cliProgress from 'cli-progress';
import type { GraphAck, GraphRouterMsg } from '../actors/graph-router.ts';
import { importInto, type CommandSender, type ImportSummary } from '../import/run.ts';
import type { ImportSource } from '../import/source.ts';
import type { ActorSystem } from '../runtime/system.ts';

/** Warnings printed one by one; the rest are counted. */
const SHOWN_WARNINGS = 20;

export interface ProgressImportOptions {
  readonly batchSize?: number;
  /** Before the bar, e.g. the data set's name. */
  readonly label?: string;
  /** Where the bar and the warnings go (default stderr). */
  readonly stream?: NodeJS.WriteStream;
}

export interface ProgressImportResult {
  readonly summary: ImportSummary;
  readonly seconds: number;
}

/** Sends each import command to the router at `routerPath` and waits for its ack. */
export function routerSender(system: ActorSystem, routerPath: string, timeoutMs = 300_000): CommandSender {
  const router = system.lookup<GraphRouterMsg>(routerPath);
  if (router === undefined) throw new Error(`no graph router at ${routerPath}`);
  return (command) => system.ask<GraphRouterMsg, GraphAck>(router, (replyTo) => ({ type: 'update', command, replyTo }), timeoutMs);
}

/** Runs the import with a progress bar; rejects as importInto does (ImportError: bad input or a refused batch). */
export async function importWithProgress(
  send: CommandSender,
  source: ImportSource,
  o: ProgressImportOptions = {},
): Promise<ProgressImportResult> {
  const stream = o.stream ?? process.stderr;
  const label = o.label === undefined ? '' : ` ${o.label}`;
  const bar = new cliProgress.SingleBar(
    { format: `${label} {bar} {percentage}% | {value}/{total} {unit} | {eta_formatted} left`, stream },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const warnings: string[] = [];
  const t0 = performance.now();
  try {
    const summary = await importInto(send, source, {
      ...(o.batchSize === undefined ? {} : { batchSize: o.batchSize }),
      onProgress: (p) => {
        if (!started) {
          bar.start(Math.max(1, Math.round(p.total)), 0, { unit: p.unit });
          started = true;
        }
        bar.update(Math.round(p.done));
      },
      onWarning: (m) => {
        if (warnings.length < SHOWN_WARNINGS) warnings.push(m);
      },
    });
    if (started) bar.stop();
    started = false;
    for (const w of warnings) stream.write(`warning: ${w}\n`);
    if (summary.warnings > warnings.length) stream.write(`(${summary.warnings - warnings.length} more warnings)\n`);
    return { summary, seconds: (performance.now() - t0) / 1000 };
  } finally {
    if (started) bar.stop();
  }
}
