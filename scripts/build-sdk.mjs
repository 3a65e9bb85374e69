// Builds the agent SDK for other projects: `import { connectAgent } from 'visionflow/sdk'` (the
// package's "exports") finds dist/sdk/index.js, one ES module bundled by esbuild from src/sdk
// with the protocol and runtime code it needs (dependencies such as ws and flatbuffers stay
// imports), and its types in dist/sdk/types, declarations emitted by tsc with their relative
// imports pointed at .js, as a project without this one's TypeScript settings resolves them.
//
//   npm run build:sdk          always builds (so does `npm install`, through `prepare`)
//
// A build writes into a scratch folder and moves it into place whole.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist', 'sdk');

async function* declarations(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* declarations(path);
    else if (entry.name.endsWith('.d.ts')) yield path;
  }
}

/** `from './x.ts'` and `import('./x.ts')` in a declaration become './x.js'. */
export function pointAtJs(text) {
  return text.replace(/((?:from|import\()\s*['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2');
}

export async function buildSdk() {
  const scratch = join(ROOT, 'dist', `.sdk-${process.pid}-${Date.now()}`);
  await mkdir(scratch, { recursive: true });
  try {
    await build({
      entryPoints: [join(ROOT, 'src', 'sdk', 'index.ts')],
      outfile: join(scratch, 'index.js'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: ['node20'],
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'warning',
      absWorkingDir: ROOT,
    });
    const tsconfig = join(scratch, 'tsconfig.json');
    await writeFile(
      tsconfig,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: {
          noEmit: false,
          declaration: true,
          emitDeclarationOnly: true,
          outDir: join(scratch, 'types'),
          rootDir: join(ROOT, 'src'),
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        include: [join(ROOT, 'src', 'sdk', 'index.ts')],
      }),
    );
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], {
      stdio: 'inherit',
      cwd: ROOT,
    });
    await rm(tsconfig);
    for await (const file of declarations(join(scratch, 'types'))) await writeFile(file, pointAtJs(await readFile(file, 'utf8')));
    await rm(DIST, { recursive: true, force: true });
    await rename(scratch, DIST);
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildSdk();
  console.log('agent SDK built in dist/sdk');
}
