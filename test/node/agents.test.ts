// Agents as real processes against a real node: each dials the node's gateway port at /remote with
// its token, registers, is shown in the graph, gets a task submitted over REST from the node's task
// queue, shares knowledge, and is shown lost when its process is killed. Tokens that may not act
// as the agent are refused in the handshake.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { SWARMS_PATH } from '../../src/agent-protocol/messages.ts';
import { swarmDispatcherPath } from '../../src/actors/task-messages.ts';
import { addNode, applied, node as graphNode, one } from '../fixtures/graph-port.ts';
import { agentToken, boot, http, type Booted } from '../fixtures/bad-agent-node.ts';
import { Client } from '../gateway/support.ts';
import { HandshakeT, Payload, Topic, type AgentRegisterT, type TaskCompletedT } from '../../src/protocol/index.ts';
import { pollUntil } from '../helpers/poll.ts';

const AGENT = fileURLToPath(new URL('../fixtures/swarm-agent.ts', import.meta.url));

interface AgentProcess {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  waitFor(event: string, limitMs?: number): Promise<Record<string, unknown>>;
}

function startAgent(t: ExecutionContext, b: Booted, agentId: string, token: string, extra: Record<string, unknown> = {}): AgentProcess {
  const args = { url: b.remote, node: b.node.system.name, agentId, token, ...extra };
  const child = fork(AGENT, [JSON.stringify(args)], { execArgv: ['--import=tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const events: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      events.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => t.log(`${agentId}: ${chunk.toString('utf8').trim()}`));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    events,
    waitFor: (event, limitMs = 60_000) =>
      pollUntil(() => events.find((e) => e.event === event), { limitMs, everyMs: 20, what: `${agentId}: ${event}` }),
  };
}

test.serial('a plain GET of /remote says the node address and protocol versions; /metrics shows the transport', async (t) => {
  const b = await boot(t, 'agents-info');
  const res = await http(`http://127.0.0.1:${b.node.address.port}/remote`);
  t.is(res.status, 426);
  t.deepEqual(JSON.parse(res.body), { address: 'agents-info', versions: [1, 1] });
  const metrics = await http(
    `http://127.0.0.1:${b.node.address.port}/metrics`,
    b.tokens.mint({ sub: 'ops', role: 'admin', ttlSeconds: 60 }),
  );
  t.is(metrics.status, 200);
  t.regex(metrics.body, /vf_remote_limit\{limit="maxFrameBytes"\} 4194304/);
});

test.serial('an agent process registers, shows in the graph, runs a task, and is lost when killed', async (t) => {
  const b = await boot(t, 'agents-e2e');
  // A viewer following Topic.Agents sees the swarm's events.
  const viewer = await Client.open(`ws://127.0.0.1:${b.node.address.port}/ws`);
  t.teardown(() => viewer.ws.terminate());
  viewer.send(new HandshakeT(b.tokens.mint({ sub: 'eve', role: 'viewer', ttlSeconds: 600 }), 0, 0n, 'agents-e2e', null));
  await viewer.waitFor(() => viewer.of(Payload.HandshakeAccepted).length === 1, 30_000);
  viewer.subscribe(Topic.Agents);
  const agent = startAgent(t, b, 'agent-1', agentToken(b, 'agent-1'));
  const registered = await agent.waitFor('registered');
  await viewer.waitFor(() => viewer.of(Payload.AgentRegister).some((e) => (e.payload as AgentRegisterT).agentId === 'agent-1'), 30_000);
  t.is(registered.swarm, 'default');
  t.is(registered.swarmRef, `vf://agents-e2e${swarmDispatcherPath('default')}`);
  const nodeId = registered.nodeId as number;
  const shown = await pollUntil(async () => (await b.graph.node(nodeId))?.metadata?.status === 'idle' && (await b.graph.node(nodeId)), {
    limitMs: 30_000,
    everyMs: 50,
    what: 'the agent node',
  });
  t.is(shown.kind, 'agent');
  t.like(shown.metadata, { agent_id: 'agent-1', agent_type: 'tester', swarm: 'default' });

  // A task submitted over REST reaches the agent through the node's queue and swarm.
  const base = `http://127.0.0.1:${b.node.address.port}`;
  const editor = b.tokens.mint({ sub: 'ed', role: 'editor', ttlSeconds: 600 });
  const submitted = await http(`${base}/api/tasks`, editor, 'POST', { description: 'echo it', capability: 'echo', input: '{}' });
  t.is(submitted.status, 201, submitted.body);
  const taskId = (JSON.parse(submitted.body) as { id: string }).id;
  await agent.waitFor('task');
  const done = await pollUntil(
    async () => {
      const task = JSON.parse((await http(`${base}/api/tasks/${taskId}`, editor)).body) as { state: string };
      return task.state === 'done' && task;
    },
    { limitMs: 30_000, everyMs: 50, what: 'the task done' },
  );
  t.like(done, { id: taskId, agentId: 'agent-1', attempts: 1, result: 'done {}' });
  await viewer.waitFor(() => viewer.of(Payload.TaskCompleted).some((e) => (e.payload as TaskCompletedT).taskId === taskId), 30_000);

  agent.child.kill('SIGKILL');
  await pollUntil(async () => (await b.graph.node(nodeId))?.metadata?.status === 'lost', {
    limitMs: 30_000,
    everyMs: 50,
    what: 'status lost',
  });
  t.pass();
});

test.serial('KnowledgeShare lands in the graph by its author, linked to the nodes that exist', async (t) => {
  const b = await boot(t, 'agents-knowledge');
  // On a loaded machine the first commit may time out: it is asked again until it is there.
  await pollUntil(async () => (await applied(b.graph, one(addNode(graphNode(4242, 'the subject'))))).ok, {
    limitMs: 60_000,
    everyMs: 100,
    what: 'node 4242 added',
  });
  const knowledge = { topic: 'what agents learned', content: 'graphs settle', nodeIds: [4242, 99_999] };
  const agent = startAgent(t, b, 'agent-k', agentToken(b, 'agent-k'), { knowledge });
  await agent.waitFor('registered');
  const found = await pollUntil(
    async () => (await b.graph.search('what agents learned', 5)).find((n) => n.kind === 'knowledge' && n.title === 'what agents learned'),
    { limitMs: 30_000, everyMs: 50, what: 'the knowledge node' },
  );
  const full = await b.graph.node(found.id);
  t.is(full?.content, 'graphs settle');
  t.deepEqual(full?.metadata, { author: 'agent-k' });
  const linked = await b.graph.neighbours(found.id, 10);
  t.deepEqual(
    linked?.map((n) => n.id),
    [4242],
  );
});

test.serial('a token for another address, or a role that may not act as an agent, is refused in the handshake', async (t) => {
  const b = await boot(t, 'agents-refused');
  const refusals: { address: string | undefined; code: number; reason: string }[] = [];
  b.node.remote.events.subscribe((e) => {
    if (e.type === 'connection-refused') refusals.push({ address: e.address, code: e.code, reason: e.reason });
  });
  const impostor = startAgent(t, b, 'agent-x', agentToken(b, 'agent-y'));
  const viewer = startAgent(t, b, 'agent-v', agentToken(b, 'agent-v', 'viewer'));
  const reasonFor = async (pattern: RegExp): Promise<{ code: number; reason: string }> =>
    pollUntil(() => refusals.find((r) => pattern.test(r.reason)), { limitMs: 60_000, everyMs: 20, what: `a refusal matching ${pattern}` });
  t.is((await reasonFor(/unauthorized: the token is for agent-y, not agent-x/)).code, 1008);
  t.is((await reasonFor(/forbidden: role viewer may not act as an agent/)).code, 1008);
  t.false(impostor.events.some((e) => e.event === 'registered'));
  t.false(viewer.events.some((e) => e.event === 'registered'));
  t.is(b.node.system.lookup(`${SWARMS_PATH}/default`), undefined, 'no swarm was started');
});
