// One agent process of `npm run bench -- agents`, forked by bench/agents.ts: `tokens.length` SDK
// agents (connectAgent, each with its own actor system and association to the node) that complete
// every task at once, `maxConcurrent` tasks each at a time. Tells its parent {ready} once all are
// registered; closes them on SIGTERM or when the parent goes away.
import { connectAgent, type Agent } from '../src/sdk/index.ts';

export interface AgentLoadArgs {
  readonly node: string;
  readonly url: string;
  /** One token per agent; its subject is the agent's id. */
  readonly tokens: readonly string[];
  readonly capability: string;
  readonly maxConcurrent: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as AgentLoadArgs;
const agents: Agent[] = [];

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(agents.map((a) => a.close()));
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());

// A few at a time: two hundred handshakes at once would only queue behind each other on the node.
const AT_ONCE = 20;
for (let from = 0; from < args.tokens.length; from += AT_ONCE) {
  const batch = args.tokens.slice(from, from + AT_ONCE).map((token) =>
    connectAgent({
      node: { address: args.node, url: args.url },
      token,
      type: 'bench',
      capabilities: [args.capability],
      maxConcurrent: args.maxConcurrent,
      onTask: async () => 'done',
    }),
  );
  agents.push(...(await Promise.all(batch)));
}
process.send?.({ ready: true });
