// The viewer's bundle from one folder. The request path is decoded, normalised and resolved inside
// the root; anything that would land outside it (.., encoded separators, NUL, symlinks pointing
// out) is a 404, never a read.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.glb': 'model/gltf-binary',
  '.gltf': 'model/gltf+json',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export const VIEWER_NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VisionFlow</title></head>
<body style="font:15px system-ui,sans-serif;margin:2rem">
<h1>VisionFlow</h1>
<p>The 3D viewer is not built yet (no <code>viewer/dist</code> folder). The node is running:
see <a id="status" href="/status">the status page</a>.</p>
<script>const t=new URLSearchParams(location.search).get('token');if(t)document.getElementById('status').href='/status?token='+encodeURIComponent(t);</script>
</body></html>
`;

export type StaticResult = 'served' | 'not-found' | 'no-root';

/** Resolves a URL path inside `root`; undefined when it would escape it or is not a plain path. */
export function resolveInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return undefined;
  const relative = decoded === '/' ? 'index.html' : decoded.slice(1);
  if (relative.split('/').some((part) => part === '..')) return undefined;
  const base = resolve(root);
  const full = resolve(base, relative);
  return full === base || full.startsWith(base + sep) ? full : undefined;
}

export async function serveStatic(root: string, urlPath: string, res: ServerResponse, head: boolean): Promise<StaticResult> {
  let base: string;
  try {
    base = await realpath(root);
  } catch {
    return 'no-root';
  }
  const candidate = resolveInside(base, urlPath);
  if (candidate === undefined) return 'not-found';
  let file: string;
  try {
    file = await realpath(candidate);
    if (!file.startsWith(base + sep)) return 'not-found';
    const info = await stat(file);
    if (!info.isFile()) return 'not-found';
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': info.size,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
  } catch {
    return 'not-found';
  }
  if (head) {
    res.end();
    return 'served';
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', done);
    stream.pipe(res);
  });
  return 'served';
}
