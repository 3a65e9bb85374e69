// The configuration tables stay true: the README's table names exactly the environment variables
// that the node and its scripts read (src/, scripts/), CONTRIBUTING.md's names exactly the ones
// only tests and benchmarks read, and docker-compose.yml sets no variable the node never reads.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const READS = [
  /process\.env\.([A-Z_][A-Z0-9_]*)/g,
  /process\.env\[['"`]([A-Z_][A-Z0-9_]*)['"`]\]/g,
  // An environment passed along as an object (openStore(process.env), signingKey(env)).
  /\benv\.([A-Z_][A-Z0-9_]*)/g,
  /\benv\[['"`]([A-Z_][A-Z0-9_]*)['"`]\]/g,
  // A table of variables read in a loop, one `VF_NAME: 'setting',` a line (src/cli/remote-env.ts).
  /^\s+(VF_[A-Z0-9_]+): '[A-Za-z]+',$/gm,
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'generated') out.push(...sourceFiles(path));
    } else if (/\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.d.mts')) {
      out.push(path);
    }
  }
  return out;
}

/** Every variable the files under `dirs` read, with the first file that reads it. */
function variablesRead(dirs: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of dirs.flatMap(sourceFiles)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const pattern of READS) {
      for (const match of text.matchAll(pattern)) if (!found.has(match[1]!)) found.set(match[1]!, file);
    }
  }
  return found;
}

/** The variables named in the first column of the table under `heading`. */
function tableVariables(file: string, heading: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section "${heading}"`);
  const next = text.indexOf('\n## ', start + heading.length + 2);
  const section = text.slice(start, next < 0 ? undefined : next);
  const names = new Set<string>();
  // A row may name several variables that go together: `A`, `B` in its first cell.
  for (const row of section.matchAll(/^\| ((?:`[A-Z_][A-Z0-9_]*`(?:, )?)+) \|/gm))
    for (const name of row[1]!.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)) names.add(name[1]!);
  return names;
}

function compare(documented: ReadonlySet<string>, read: ReadonlyMap<string, string>): { missing: string[]; stale: string[] } {
  return {
    missing: [...read]
      .filter(([name]) => !documented.has(name))
      .map(([name, file]) => `${name} (read in ${file})`)
      .sort(),
    stale: [...documented].filter((name) => !read.has(name)).sort(),
  };
}

const nodeReads = variablesRead(['src', 'scripts']);
const testReads = new Map([...variablesRead(['test', 'bench'])].filter(([name]) => !nodeReads.has(name)));

test("the README's configuration table names every variable the node reads, and no other", (t) => {
  t.true(nodeReads.has('DATABASE_URL') && nodeReads.has('VF_SECRET'), 'the scan finds variables read through a passed-in env');
  const { missing, stale } = compare(tableVariables('README.md', '## Configuration'), nodeReads);
  t.deepEqual(missing, [], 'read by the code but missing from the README table');
  t.deepEqual(stale, [], 'in the README table but read nowhere in src/ or scripts/');
});

test('CONTRIBUTING.md names every variable that only tests and benchmarks read, and no other', (t) => {
  t.true(testReads.has('VF_CHROMIUM'));
  const { missing, stale } = compare(tableVariables('CONTRIBUTING.md', '## Environment variables'), testReads);
  t.deepEqual(missing, [], 'read by tests or benchmarks but missing from the table');
  t.deepEqual(stale, [], 'in the table but read nowhere in test/ or bench/ (or read by the node: README)');
});

test('docker-compose.yml sets only variables the node reads', (t) => {
  const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const service = compose.slice(compose.indexOf('\n  visionflow:\n'));
  t.true(service.length > 20, 'the visionflow service is there');
  const block = /\n {4}environment:\n((?: {6}.*\n)+)/.exec(service);
  t.truthy(block, 'the visionflow service has an environment block');
  const set = [...block![1]!.matchAll(/^ {6}([A-Z_][A-Z0-9_]*):/gm)].map((m) => m[1]!);
  t.true(set.length > 0);
  t.deepEqual(
    set.filter((name) => !nodeReads.has(name)),
    [],
    'set in docker-compose.yml but never read by the node',
  );
});
