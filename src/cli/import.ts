// `npm run import -- <format> <path> [--shards N] [--batch N] [--directed] [--id-offset N]`
// Imports a Logseq/Obsidian folder, a SNAP edge list, a DIMACS .gr file or a JSON graph into the
// store that `npm start` uses (DATABASE_URL, else PGlite in VF_DATA_DIR or ./data/pglite), with a
// progress bar on stderr. Exit status: 0 done, 1 the import failed, 2 usage.
import cliProgress from 'cli-progress';
import type { GraphAck, GraphRouterMsg } from '../actors/graph-router.ts';
import { graphSubsystemParts } from '../graph/subsystem.ts';
import { importInto, FORMATS, sourceFor } from '../import/run.ts';
import { ImportError } from '../import/source.ts';
import { ActorSystem } from '../runtime/system.ts';
import type { ChildSpec } from '../supervisors/child-spec.ts';
import { Strategies } from '../supervisors/strategy.ts';
import { supervisorSpec, type SupervisorMsg } from '../supervisors/supervisor.ts';
import { openStore } from '../storage/open-store.ts';

function usage(message?: string): never {
  if (message !== undefined) console.error(message);
  console.error(`usage: npm run import -- <${FORMATS.join('|')}> <path> [--shards N] [--batch N] [--directed] [--id-offset N]`);
  process.exit(2);
}

function intFlag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) usage(`${name} needs a non-negative integer`);
  args.splice(i, 2);
  return v;
}

const args = process.argv.slice(2);
const shards = intFlag(args, '--shards', Number(process.env.VF_SHARDS ?? 4));
const batchSize = intFlag(args, '--batch', 2_000);
const idOffset = intFlag(args, '--id-offset', 0);
const directed = args.includes('--directed');
const [format, path] = args.filter((a) => !a.startsWith('--'));
if (format === undefined || path === undefined) usage();
if (!(FORMATS as readonly string[]).includes(format)) usage(`unknown format "${format}"`);

const store = await openStore(process.env, { onWriterWait: (holder) => console.error(`waiting for the store's previous writer to let go: ${holder}`) }).catch(
  (error: unknown) => {
    console.error(`could not open the store: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
const system = new ActorSystem({ name: 'import' });
const parts = graphSubsystemParts({ store, shards, mountPath: '/graph' });
const spec = supervisorSpec('graph', Strategies.oneForOne(), parts.children) as unknown as ChildSpec<SupervisorMsg>;
system.spawn(spec.factory, spec);
const router = system.lookup<GraphRouterMsg>(parts.routerPath)!;
const bar = new cliProgress.SingleBar({ format: ' {bar} {percentage}% | {value}/{total} {unit} | {eta_formatted} left', stream: process.stderr }, cliProgress.Presets.shades_classic);
let started = false;
let status = 0;
const warnings: string[] = [];
try {
  const source = sourceFor(format, path, { directed, idOffset });
  const t0 = performance.now();
  const summary = await importInto((command) => system.ask<GraphRouterMsg, GraphAck>(router, (replyTo) => ({ type: 'update', command, replyTo }), 300_000), source, {
    batchSize,
    onProgress: (p) => {
      if (!started) {
        bar.start(Math.max(1, Math.round(p.total)), 0, { unit: p.unit });
        started = true;
      }
      bar.update(Math.round(p.done));
    },
    onWarning: (m) => {
      if (warnings.length < 20) warnings.push(m);
    },
  });
  if (started) bar.stop();
  for (const w of warnings) console.error(`warning: ${w}`);
  if (summary.warnings > warnings.length) console.error(`(${summary.warnings - warnings.length} more warnings)`);
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `imported ${source.name} into ${store.description}: ${summary.nodes} nodes, ${summary.edges} edges ` +
      `(${summary.applied} applied, ${summary.unchanged} unchanged, ${summary.conflicts} conflicts) in ${secs.toFixed(1)} s`,
  );
} catch (error) {
  if (started) bar.stop();
  console.error(error instanceof ImportError ? `import failed: ${error.message}` : error);
  status = 1;
} finally {
  await system.terminate();
  await store.close();
}
process.exit(status);
