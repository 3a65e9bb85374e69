// Entry point of `npm run bench -- <suite> [--quick]`: each suite is bench/<suite>.ts exporting run().
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

export interface BenchOptions {
  quick: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const suites = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f) && !f.startsWith('_') && !f.endsWith('-load.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));

if (wanted.length === 0) {
  console.error(`usage: npm run bench -- <suite> [--quick]\nsuites: ${suites.join(', ')}`);
  process.exit(2);
}
for (const name of wanted) {
  if (!suites.includes(name)) {
    console.error(`unknown suite "${name}"; suites: ${suites.join(', ')}`);
    process.exit(2);
  }
  const mod = (await import(`./${name}.ts`)) as { run: (o: BenchOptions) => Promise<void> };
  await mod.run({ quick });
}
// Peers (comedy, nact) may leave timers behind; the suites are done.
process.exit(0);
