// `npm run agents -- <linker|summariser|curator|all> [--count N] [--url URL] [--swarm NAME]`: runs
// the bundled agents against a node. URL is the address `npm start` prints
// (http://127.0.0.1:8080/?token=ADMIN), or VF_URL; with its admin token one agent token is minted
// per agent (POST /api/tokens, role agent, subject the agent's id), and each agent connects with
// its own. It logs what the agents do and stops them cleanly on SIGINT or SIGTERM.
// Exit status: 0 stopped by a signal, 1 an agent could not start, 2 usage.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BUNDLED_AGENTS, bundledAgent, SnapshotCache, type BundledAgent } from '../bundled-agents/catalogue.ts';
import { GraphClient } from '../bundled-agents/graph-client.ts';
import { connectAgent, type Agent, type AgentEvent } from '../sdk/index.ts';

const MAX_COUNT = 64;
const TOKEN_TTL_SECONDS = 7 * 24 * 3600;

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run agents -- <${BUNDLED_AGENTS.map((a) => a.type).join('|')}|all> [--count N] [--url URL] [--swarm NAME]\n` +
      '  URL: the address npm start prints (http://127.0.0.1:8080/?token=ADMIN); default $VF_URL',
  );
  process.exit(2);
}

const held = (globalThis as { [key: symbol]: { release(): string[] } | undefined })[Symbol.for('visionflow.held-signals')];
let stopping: Promise<void> | undefined;
const agents: Agent[] = [];
const stop = (signal: string): void => {
  if (stopping !== undefined) process.exit(130);
  log('-', `${signal}: stopping ${agents.length} agent(s)`);
  stopping = Promise.allSettled(agents.map((a) => a.close())).then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
for (const signal of held?.release() ?? []) stop(signal);

function log(who: string, message: string): void {
  console.log(`${new Date().toISOString()} ${who.padEnd(18)} ${message}`);
}

let parsed: { values: { count?: string; url?: string; swarm?: string }; positionals: string[] };
try {
  parsed = parseArgs({
    options: { count: { type: 'string' }, url: { type: 'string' }, swarm: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const which = parsed.positionals[0];
if (which === undefined || parsed.positionals.length > 1) usage('name one agent kind, or all');
const kinds: readonly BundledAgent[] = which === 'all' ? BUNDLED_AGENTS : [bundledAgent(which) ?? usage(`unknown agent "${which}"`)];
const count = Number(parsed.values.count ?? '1');
if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) usage(`--count must be 1 to ${MAX_COUNT}`);
const rawUrl = parsed.values.url ?? process.env.VF_URL;
if (rawUrl === undefined || rawUrl === '') usage('give --url or set VF_URL');
let base: URL;
try {
  base = new URL(rawUrl);
} catch {
  usage(`"${rawUrl}" is not a URL`);
}
const adminToken = base.searchParams.get('token');
if (adminToken === null || adminToken === '') usage('the URL has no ?token=ADMIN: use the address npm start prints');
const origin = `${base.protocol}//${base.host}`;

/** One agent token from the node, for `sub`. */
async function mintAgentToken(sub: string): Promise<string> {
  const response = await fetch(`${origin}/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'agent', sub, ttlSeconds: TOKEN_TTL_SECONDS }),
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    throw new Error(`could not reach ${origin} to mint an agent token: ${error instanceof Error ? error.message : String(error)}`);
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: unknown };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(
      `POST /api/tokens answered ${response.status}${typeof body.error === 'string' ? `: ${body.error}` : ''} (is the URL's token an admin's?)`,
    );
  }
  return body.token;
}

function describe(event: AgentEvent): string | undefined {
  switch (event.type) {
    case 'registered':
      return `registered in swarm ${event.swarm} (graph node ${event.nodeId}, heartbeat ${event.heartbeatMs} ms)${event.resumed.length + event.dropped.length > 0 ? `; resumed ${event.resumed.length}, dropped ${event.dropped.length}` : ''}`;
    case 'refused':
      return `refused: ${event.error.message}`;
    case 'task-started':
      return `task ${event.taskId} (attempt ${event.attempt}, ${event.capability}) started`;
    case 'task-ended':
      return `task ${event.taskId} ${event.outcome} in ${event.durationMs} ms${event.detail === undefined ? '' : `: ${event.detail}`}`;
    case 'disconnected':
      return `disconnected (${event.reason}); reconnecting`;
    case 'rejoining':
      return `rejoining: ${event.reason}`;
    case 'collaboration':
      return `collaboration request from ${event.fromAgent}: ${event.message.slice(0, 200)}`;
    case 'warning':
      return `warning: ${event.message}`;
    case 'closed':
      return event.error === undefined ? 'closed' : `closed: ${event.error.message}`;
  }
}

async function startOne(kind: BundledAgent): Promise<void> {
  const id = `${kind.type}-${randomBytes(4).toString('hex')}`;
  const token = await mintAgentToken(id);
  const graph = new GraphClient({ baseUrl: origin, token });
  const agent = await connectAgent({
    url: origin,
    token,
    type: kind.type,
    name: `${kind.type} (${kind.description})`,
    capabilities: [kind.capability],
    maxConcurrent: 2,
    ...(parsed.values.swarm === undefined ? {} : { swarm: parsed.values.swarm }),
    onTask: kind.handler(graph, new SnapshotCache(graph)),
  });
  if (stopping !== undefined) {
    await agent.close();
    return;
  }
  agents.push(agent);
  log(id, `connected to ${agent.node.address} at ${agent.node.url}`);
  agent.events.subscribe((event) => {
    const line = describe(event);
    if (line !== undefined) log(id, line);
  });
}

const starts = kinds.flatMap((kind) => Array.from({ length: count }, () => startOne(kind)));
const outcomes = await Promise.allSettled(starts);
const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
for (const f of failed)
  log('-', `an agent could not start: ${f.reason instanceof Error ? `${f.reason.name}: ${f.reason.message}` : String(f.reason)}`);
if (failed.length > 0 && stopping === undefined) {
  await Promise.allSettled(agents.map((a) => a.close()));
  process.exit(1);
}
if (stopping === undefined) log('-', `${agents.length} agent(s) running; Ctrl-C stops them`);
