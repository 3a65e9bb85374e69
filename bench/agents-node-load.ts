// The node of `npm run bench -- agents`, forked by bench/agents.ts so that the load generator and
// the agents run in other processes: bootNode on the PostgreSQL database (DATABASE_URL) or PGlite
// folder (VF_DATA_DIR) the parent made for it, the gateway on 127.0.0.1 and a port of its own.
// Tells its parent {ready, port, name}; answers {mem} with its memory after a full GC (node runs
// with --expose-gc) so the parent can take the memory per connected agent; stops on SIGTERM or
// when the parent goes away.
import { TokenAuthority } from '../src/auth/token.ts';
import { bootNode, type RunningNode } from '../src/cli/node.ts';
import type { SwarmLimits } from '../src/actors/swarm-options.ts';
import { openStore, type Store } from '../src/storage/open-store.ts';

export interface NodeLoadArgs {
  readonly name: string;
  /** The token signing key, hex: the parent mints the agents' and the producer's tokens with it. */
  readonly key: string;
  readonly swarms: Partial<SwarmLimits>;
}

export interface NodeMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export type NodeLoadReply = { readonly ready: true; readonly port: number } | { readonly mem: NodeMemory };

const args = JSON.parse(process.argv[2] ?? '{}') as NodeLoadArgs;
const store: Store = await openStore(process.env);
const node: RunningNode = await bootNode({
  name: args.name,
  host: '127.0.0.1',
  port: 0,
  store,
  tokens: new TokenAuthority(Buffer.from(args.key, 'hex')),
  shards: 2,
  physics: { engines: 'serial' },
  swarms: args.swarms,
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await node.system.terminate();
  await store.close();
  process.exit(0);
}

function memory(): NodeMemory {
  // Twice: the first collection can leave finalisable objects for the second.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.on('message', (m: { mem?: boolean }) => {
  if (m.mem === true) process.send?.({ mem: memory() } satisfies NodeLoadReply);
});
process.send?.({ ready: true, port: node.address.port } satisfies NodeLoadReply);
