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

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The viewer's page when its address carries no token, or one that is not valid here (`reason`,
 * the authoriser's message): why, and how to get an address that works.
 */
export function tokenPage(reason: string): string {
  const why = /no access token/.test(reason)
    ? 'This address has no access token.'
    : /expired/.test(reason)
      ? 'The access token in this address has expired.'
      : /forbidden/.test(reason)
        ? 'The access token in this address may not open the viewer.'
        : 'The access token in this address is not valid on this node.';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>VisionFlow: a new address is needed</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#0f1419;color:#e3e8ec}main{max-width:640px;margin:8vh auto;padding:0 24px}
h1{font-size:22px}code,pre{font:13px ui-monospace,monospace;color:#4fc3f7}pre{background:#12181f;border:1px solid #2a3640;border-radius:6px;padding:8px 12px}
.why{color:#ffb74d}.dim{color:#90a4ae;font-size:13px}li{margin:6px 0}</style></head>
<body><main id="token-help">
<h1>VisionFlow needs a fresh address</h1>
<p class="why" id="why">${escapeHtml(why)}</p>
<p>The viewer opens with the address the node prints, which carries a signed token. To get one:</p>
<ol>
<li>Look at the terminal where <code>npm start</code> runs: it printed<pre>Open http://localhost:8080/?token=eyJ...</pre>That address works for 24 hours.</li>
<li>Or stop the node (Ctrl+C) and run <code>npm start</code> again: it prints a new address. Unless <code>VF_SECRET</code> is set, a restart makes every earlier address invalid.</li>
<li>With <code>VF_SECRET</code> set, <code>npm run token -- --role viewer</code> prints a token: open <code>/?token=</code> followed by it.</li>
<li>A script with an admin token can ask the node for one: <code>POST /api/tokens</code> with <code>{"role": "viewer"}</code>.</li>
</ol>
<p class="dim">${escapeHtml(reason)}</p>
</main></body></html>
`;
}

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
