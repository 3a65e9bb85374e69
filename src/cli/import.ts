// `npm run import -- <format> <path> [--shards N] [--batch N] [--directed] [--id-offset N]`
// Imports a Logseq/Obsidian folder, a SNAP edge list, a DIMACS .gr file or a JSON graph into the
// store that `npm start` uses (DATABASE_URL, else PGlite in VF_DATA_DIR or ./data/pglite), with a
// progress bar on stderr. Exit status: 0 done, 1 the import failed, 2 usage.
import { FORMATS, sourceFor } from '../import/run.ts';
import { ImportError } from '../import/source.ts';
import { ActorSystem } from '../runtime/system.ts';
import type { ChildSpec } from '../supervisors/child-spec.ts';
import { graphSubsystemParts } from '../supervisors/app-tree.ts';
import { Strategies } from '../supervisors/strategy.ts';
import { supervisorSpec, type SupervisorMsg } from '../supervisors/supervisor.ts';
import { openStore } from '../storage/open-store.ts';
import { importWithProgress, routerSender } from './import-progress.ts';

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

const store = await openStore(process.env, {
  onWriterWait: (holder) => console.error(`waiting for the store's previous writer to let go: ${holder}`),
}).catch((error: unknown) => {
  console.error(`could not open the store: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
const system = new ActorSystem({ name: 'import' });
const parts = graphSubsystemParts({ store, shards, mountPath: '/graph' });
const spec = supervisorSpec('graph', Strategies.oneForOne(), parts.children) as unknown as ChildSpec<SupervisorMsg>;
system.spawn(spec.factory, spec);
let status = 0;
try {
  const source = sourceFor(format, path, { directed, idOffset });
  const { summary, seconds } = await importWithProgress(routerSender(system, parts.routerPath), source, { batchSize });
  console.log(
    `imported ${source.name} into ${store.description}: ${summary.nodes} nodes, ${summary.edges} edges ` +
      `(${summary.applied} applied, ${summary.unchanged} unchanged, ${summary.conflicts} conflicts) in ${seconds.toFixed(1)} s`,
  );
} catch (error) {
  console.error(error instanceof ImportError ? `import failed: ${error.message}` : error);
  status = 1;
} finally {
  await system.terminate();
  await store.close();
}
process.exit(status);
