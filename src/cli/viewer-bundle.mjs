// Whether viewer/dist (built by `npm run build:viewer`, and by `npm install`) is there and at least
// as new as everything it was built from: the sources its build read (listed in build-meta.json),
// the static files and the build script. `npm start` refuses to serve a missing or stale bundle;
// the build script asks the same question before rebuilding. Plain JavaScript, so that the build
// script runs on Node alone.
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VIEWER_DIST = join(ROOT, 'viewer', 'dist');
const META = join(VIEWER_DIST, 'build-meta.json');
const STATIC = join(ROOT, 'viewer', 'static');
const BUILD_SCRIPT = join(ROOT, 'scripts', 'build-viewer.mjs');

async function mtime(path) {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Whether viewer/dist is missing or older than any file it was built from. */
export async function viewerIsStale() {
  const builtAt = await mtime(META);
  if (builtAt === undefined || (await mtime(join(VIEWER_DIST, 'main.js'))) === undefined) return true;
  let inputs;
  try {
    inputs = JSON.parse(await readFile(META, 'utf8')).inputs;
  } catch {
    return true;
  }
  const statics = (await readdir(STATIC)).map((f) => join(STATIC, f));
  for (const file of [...inputs.map((f) => join(ROOT, f)), ...statics, BUILD_SCRIPT]) {
    const m = await mtime(file);
    if (m === undefined || m > builtAt) return true;
  }
  // A new source file that an old one now imports changes that old file: covered above.
  return false;
}
