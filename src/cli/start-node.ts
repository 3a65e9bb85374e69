// What `npm start` runs: opens the store (PGlite in ./data, or PostgreSQL when DATABASE_URL is set),
// boots the supervision tree, serves the gateway (WebSocket sessions, HTTP API, viewer) and prints
// the URL, with a fresh admin token, to open.
//
// A store nothing was ever written to gets an example first: the Logseq documentation graph
// (samples/logseq-docs), imported through the node's own graph router with a progress bar on
// stderr before the URL is printed, and one log line saying so (first-start.ts says which stores
// count as new). VF_DEMO=0 (or false, off, no) starts with the empty graph instead.
//
// A signal may come at any step: each step that started something registers how to stop it, and
// after each await the start looks whether it should go on (exit-on-termination.ts).
import { pino } from 'pino';
import { signingKey } from '../auth/secret.ts';
import { TokenAuthority } from '../auth/token.ts';
import { adminUrl } from '../gateway/admin-url.ts';
import { httpLimitsFromEnv } from '../gateway/http-limits.ts';
import { openStore } from '../storage/open-store.ts';
import type { Termination } from './exit-on-termination.ts';
import { exampleWanted, importFirstExample, storeIsNew } from './first-start.ts';
import { bootNode } from './node.ts';
import { remoteLimitsFromEnv } from './remote-env.ts';
import { viewerIsStale } from './viewer-bundle.mjs';

export async function startNode(termination: Termination): Promise<void> {
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  void termination.whenRequested.then((signal) => log.info({ signal }, 'shutting down'));
  const stopping = (): boolean => termination.requested;
  const host = process.env.HOST ?? '127.0.0.1';
  const port = Number(process.env.PORT ?? 8080);
  const demo = exampleWanted(process.env.VF_DEMO);
  const http = httpLimitsFromEnv(process.env);
  const remote = remoteLimitsFromEnv(process.env);
  const tokens = new TokenAuthority(signingKey());

  if (await viewerIsStale()) {
    // Building is the install's job (npm install, npm run build:viewer), not the server's.
    log.error('the viewer in viewer/dist is missing or older than its sources: run `npm run build:viewer`, then start again');
    return termination.exit(stopping() ? 0 : 1);
  }
  if (stopping()) return termination.exit(0);
  const store = await openStore(process.env, {
    onWriterWait: (holder) => log.warn({ holder }, "waiting for the store's writer lock"),
  }).catch(async (error: unknown) => {
    // A store another node writes, or a database that cannot be reached: one clear line, exit 1.
    log.error({ err: error instanceof Error ? error.message : String(error) }, 'could not open the store');
    return termination.exit(stopping() ? 0 : 1);
  });
  termination.onStop(() => store.close());
  log.info({ store: store.description }, 'store open');
  if (stopping()) return termination.exit(0);
  // Decided before the node boots: the store's own record, not what the graph holds now.
  const importExample =
    demo &&
    (await storeIsNew(store.db).catch((error: unknown) => {
      log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not tell whether the store is new; no example imported',
      );
      return false;
    }));
  if (stopping()) return termination.exit(0);

  let node;
  try {
    node = await bootNode({
      name: process.env.VF_NODE ?? 'node-1',
      host,
      port,
      store,
      tokens,
      shards: Number(process.env.VF_SHARDS ?? 4),
      log,
      processMetrics: true,
      http,
      remote,
    });
  } catch (error) {
    const taken = (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
    log.error(
      { err: String(error) },
      `could not start the node on ${host}:${port}${taken ? ': the port is taken (set PORT to use another)' : ''}`,
    );
    return termination.exit(stopping() ? 0 : 1);
  }
  // Stops the tree on a signal (at once, if one came while it booted), then closes the store.
  termination.attach(node.system);
  if (stopping()) return;
  log.info({ actors: node.system.tree('/').length }, 'supervision tree started');
  if (importExample) await importFirstExample(node.system, node.graphRouterPath, log, stopping);
  if (!stopping()) {
    const { url } = adminUrl(tokens, { host, port: node.address.port });
    console.log(`\n  VisionFlow node "${node.system.name}" is up.\n  Open ${url}\n`);
  }
}
