// Builds the PlayCanvas viewer: esbuild bundles viewer/src/main.ts (with the protocol and settings
// code it shares with the server) into viewer/dist/main.js, next to index.html and viewer.css.
//
//   npm run build:viewer          always builds (so does `npm install`, through `prepare`)
//   ensureViewerBuilt()           builds only when viewer/dist is missing or older than any input
//                                 (for the browser tests; `npm start` only checks, viewer-bundle.mjs)
//
// A build writes into a scratch folder and moves each file into place, so a server reading
// viewer/dist while another process builds sees old files or new ones, never half-written ones.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { viewerIsStale } from '../src/cli/viewer-bundle.mjs';

export { viewerIsStale };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VIEWER = join(ROOT, 'viewer');
const DIST = join(VIEWER, 'dist');
const STATIC = join(VIEWER, 'static');

/** Builds the viewer into viewer/dist; returns the bundle's size in bytes. */
export async function buildViewer({ minify = true } = {}) {
  const scratch = join(VIEWER, `.dist-${process.pid}-${Date.now()}`);
  await mkdir(scratch, { recursive: true });
  try {
    const result = await build({
      entryPoints: [join(VIEWER, 'src', 'main.ts')],
      outfile: join(scratch, 'main.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
      absWorkingDir: ROOT,
    });
    for (const f of await readdir(STATIC)) await copyFile(join(STATIC, f), join(scratch, f));
    const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
    await writeFile(join(scratch, 'build-meta.json'), `${JSON.stringify({ builtAt: new Date().toISOString(), inputs }, null, 1)}\n`);
    await mkdir(DIST, { recursive: true });
    // The meta file last: until it moves, the old build (or none) is what counts.
    const files = (await readdir(scratch)).filter((f) => f !== 'build-meta.json');
    for (const f of [...files, 'build-meta.json']) await rename(join(scratch, f), join(DIST, f));
    return (await stat(join(DIST, 'main.js'))).size;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

let pending;

/** Builds viewer/dist when it is missing or stale; concurrent callers in one process share a build. */
export function ensureViewerBuilt() {
  pending ??= (async () => {
    if (await viewerIsStale()) await buildViewer();
  })().finally(() => {
    pending = undefined;
  });
  return pending;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const size = await buildViewer({ minify: !process.argv.includes('--dev') });
  console.log(`viewer/dist/main.js: ${(size / 1024).toFixed(0)} kB in ${Date.now() - started} ms`);
}
