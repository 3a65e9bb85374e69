// connectAgent in this process: refusals as typed errors, options checked before dialing, the
// node's address learnt from /remote, asks to the node's actors, and close.
import { createServer } from 'node:http';
import test from 'ava';
import type { AgentRegisteredMsg } from '../../src/agent-protocol/messages.ts';
import { ErrorCode } from '../../src/protocol/generated/vf/error-code.ts';
import {
  AgentConfigError,
  AgentConnectError,
  AgentRefusedError,
  connectAgent,
  discoverNode,
  NodeDiscoveryError,
  remoteUrlOf,
  type AgentEvent,
  type ConnectAgentOptions,
} from '../../src/sdk/index.ts';
import { pollUntil } from '../helpers/poll.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';
import { agentToken, NODE_ADDRESS, startFakeNode, TEST_LIMITS, TEST_TOKENS } from './support/fake-node.ts';

const idle = (): Promise<unknown> => Promise.resolve('done');

function options(id: string, url: string, more: Partial<ConnectAgentOptions> = {}): ConnectAgentOptions {
  return {
    token: agentToken(id),
    node: { address: NODE_ADDRESS, url },
    type: 'tester',
    capabilities: ['test'],
    onTask: idle,
    limits: TEST_LIMITS,
    registerTimeoutMs: 20_000,
    ...more,
  };
}

test('a refused registration rejects with AgentRefusedError carrying the node’s code', async (t) => {
  const node = await startFakeNode(t, {
    refuse: (m) => (m.agentType === 'duplicate' ? { code: ErrorCode.Conflict, message: 'agent dup-1 is already registered' } : undefined),
  });
  const error = await t.throwsAsync(connectAgent(options('dup-1', node.url, { type: 'duplicate' })), { instanceOf: AgentRefusedError });
  t.is(error.code, ErrorCode.Conflict);
  t.is(error.codeName, 'Conflict');
  t.is(error.taskId, undefined);
  t.regex(error.message, /already registered/);
});

test('options that the node would refuse fail before dialing, each with a clear AgentConfigError', async (t) => {
  const url = 'ws://127.0.0.1:9/remote';
  await t.throwsAsync(connectAgent(options('a-1', url, { id: 'a-2' })), {
    instanceOf: AgentConfigError,
    message: /not the token's subject a-1/,
  });
  const viewer = TEST_TOKENS.mint({ sub: 'v-1', role: 'viewer', ttlSeconds: 60 });
  await t.throwsAsync(connectAgent(options('v-1', url, { token: viewer })), { instanceOf: AgentConfigError, message: /role viewer/ });
  await t.throwsAsync(connectAgent(options('a-1', url, { token: 'nonsense' })), { instanceOf: AgentConfigError });
  await t.throwsAsync(connectAgent(options('a-1', url, { maxConcurrent: 0 })), { instanceOf: AgentConfigError });
  await t.throwsAsync(connectAgent(options('a-1', url, { capabilities: [] })), { instanceOf: AgentConfigError });
  const bad = TEST_TOKENS.mint({ sub: 'has space', role: 'agent', ttlSeconds: 60 });
  await t.throwsAsync(connectAgent(options('has space', url, { token: bad })), { instanceOf: AgentConfigError, message: /valid agent id/ });
});

test('a token the node does not accept ends in AgentConnectError after registerTimeoutMs', async (t) => {
  const node = await startFakeNode(t);
  // Signed with another key: the node closes the handshake; the agent is never registered.
  const { TokenAuthority } = await import('../../src/auth/token.ts');
  const forged = new TokenAuthority(Buffer.alloc(32, 9)).mint({ sub: 'forged-1', role: 'agent', ttlSeconds: 60 });
  await t.throwsAsync(connectAgent(options('forged-1', node.url, { token: forged, registerTimeoutMs: 1_500 })), {
    instanceOf: AgentConnectError,
    message: /did not accept agent forged-1 within 1500 ms/,
  });
  t.true(node.events.some((e) => e.type === 'connection-refused'));
});

test('the node’s address is learnt from GET /remote; a server that is not a node gets a clear error', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/remote') res.writeHead(426, { 'content-type': 'application/json' }).end('{"address":"node-7","versions":[1,1]}');
    else res.writeHead(404).end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => void server.close());
  const port = (server.address() as { port: number }).port;
  t.deepEqual(await discoverNode(`http://127.0.0.1:${port}/?token=ADMIN`), { address: 'node-7', url: `ws://127.0.0.1:${port}/remote` });
  t.is(remoteUrlOf('https://example.org:8443/x?y'), 'wss://example.org:8443/remote');
  t.throws(() => remoteUrlOf('ftp://x'), { instanceOf: NodeDiscoveryError });
  const node = await startFakeNode(t);
  const http = node.url.replace('ws:', 'http:');
  await t.throwsAsync(discoverNode(http), { instanceOf: NodeDiscoveryError, message: /without JSON/ });
  await t.throwsAsync(discoverNode('http://127.0.0.1:9'), { instanceOf: NodeDiscoveryError, message: /could not reach/ });
});

test('agent.ask reaches an actor on the node; close stops the agent and the node sees it go', async (t) => {
  const node = await startFakeNode(t);
  const agent = await connectAgent(options('asker-1', node.url));
  t.true(agent.registered);
  // The swarms actor answers a registration to its sender: here the ask's temporary ref.
  const answer = await agent.ask<unknown, AgentRegisteredMsg>(
    '/app/agents/swarms',
    (replyTo) => ({
      kind: 'agent-register',
      agentId: 'asker-1',
      agentType: 'tester',
      name: '',
      capabilities: ['test'],
      swarm: 'blue',
      maxConcurrent: 1,
      agent: replyTo,
    }),
    10_000,
  );
  t.like(answer, { kind: 'agent-registered', agentId: 'asker-1', swarm: 'blue', nodeId: 42 });
  await t.throwsAsync(
    agent.ask('not a path', () => ({}), 100),
    { instanceOf: RangeError },
  );
  const events: string[] = [];
  agent.events.subscribe((e) => events.push(e.type));
  await agent.close();
  t.deepEqual(events, ['closed']);
  t.is(await agent.closed, undefined);
  await pollUntil(() => node.events.some((e) => e.type === 'association-down' && e.address === 'asker-1'), {
    limitMs: 10_000,
    everyMs: 10,
    what: 'the node declared the closed agent down',
  });
  await t.throwsAsync(
    agent.ask('/app/agents/swarms', () => ({}), 100),
    { instanceOf: AgentConnectError },
  );
});

test('declared down by the node, the agent rejoins as a new incarnation and resumes the tasks the node holds', async (t) => {
  const node = await startFakeNode(t, { downAfterMs: 1_500 });
  const proxy = await startTcpProxy(t, node.url);
  let release: (() => void) | undefined;
  const started: string[] = [];
  const agent = await connectAgent(
    options('rejoiner-1', proxy.url, {
      limits: { ...TEST_LIMITS, downAfterMs: 1_500 },
      onTask: async (task, ctx) => {
        started.push(task.taskId);
        await new Promise<void>((resolve, reject) => {
          release = resolve;
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
        });
        return 'finished after the rejoin';
      },
    }),
  );
  t.teardown(() => agent.close());
  const events: AgentEvent[] = [];
  agent.events.subscribe((e) => events.push(e));
  node.assign('rejoiner-1', { taskId: 'long', input: '{}' });
  await pollUntil(() => started.includes('long'), { limitMs: 10_000, everyMs: 10, what: 'the task started' });

  // The node becomes unreachable for longer than either side's failure detector waits.
  proxy.block(true);
  proxy.drop();
  await pollUntil(() => events.some((e) => e.type === 'rejoining'), { limitMs: 15_000, everyMs: 20, what: 'the agent rejoins' });
  await pollUntil(() => node.events.some((e) => e.type === 'association-down' && e.address === 'rejoiner-1'), {
    limitMs: 15_000,
    everyMs: 20,
    what: 'the node declared the agent down',
  });
  proxy.block(false);
  const again = await pollUntil(() => events.find((e) => e.type === 'registered'), {
    limitMs: 20_000,
    everyMs: 20,
    what: 'registered again',
  });
  t.like(again, { resumed: ['long'], dropped: [] });
  t.is(node.registrations('rejoiner-1'), 2);
  const incarnations = node.events.flatMap((e) => (e.type === 'association-up' && e.address === 'rejoiner-1' ? [e.incarnation] : []));
  t.is(new Set(incarnations).size, 2, 'a new incarnation');
  release!();
  const done = await node.waitFor('long completed', (m) => m.kind === 'task-completed' && m.taskId === 'long');
  t.like(done, { result: 'finished after the rejoin' });
});

test('a registration refused as a conflict after a reconnect is tried again', async (t) => {
  let registrations = 0;
  const node = await startFakeNode(t, {
    refuse: () => (++registrations === 2 ? { code: ErrorCode.Conflict, message: 'agent id in use' } : undefined),
  });
  const proxy = await startTcpProxy(t, node.url);
  const agent = await connectAgent(options('conflicted-1', proxy.url));
  t.teardown(() => agent.close());
  const events: AgentEvent[] = [];
  agent.events.subscribe((e) => events.push(e));
  proxy.drop();
  await pollUntil(() => events.some((e) => e.type === 'registered'), {
    limitMs: 15_000,
    everyMs: 20,
    what: 'registered after the conflict',
  });
  t.true(events.some((e) => e.type === 'warning' && /registering again/.test(e.message)));
  t.true(agent.registered);
  t.is(registrations, 3);
});

test('refused as not registered, the agent registers again, and again while the registration goes unanswered', async (t) => {
  let registrations = 0;
  const node = await startFakeNode(t, { ignore: () => ++registrations === 2 });
  const agent = await connectAgent(options('forgotten-1', node.url));
  t.teardown(() => agent.close());
  const events: AgentEvent[] = [];
  agent.events.subscribe((e) => events.push(e));
  node.disown('forgotten-1');
  await pollUntil(() => events.some((e) => e.type === 'registered'), { limitMs: 30_000, everyMs: 20, what: 'registered again' });
  t.true(events.some((e) => e.type === 'warning' && /NotFound.*registering again in 500 ms/.test(e.message)));
  t.true(events.some((e) => e.type === 'warning' && /no answer to the registration: registering again in 1000 ms/.test(e.message)));
  t.true(agent.registered);
  t.is(registrations, 3);
  t.false(events.some((e) => e.type === 'closed'));
});

test('a node that comes back still holding an attempt the agent reported gets the report again, not an error', async (t) => {
  const node = await startFakeNode(t);
  const proxy = await startTcpProxy(t, node.url);
  const agent = await connectAgent(options('resender-1', proxy.url, { onTask: async () => 'the only result' }));
  t.teardown(() => agent.close());
  const events: AgentEvent[] = [];
  agent.events.subscribe((e) => events.push(e));
  node.assign('resender-1', { taskId: 'once', input: '{}', attempt: 3 });
  await node.waitFor('once completed', (m) => m.kind === 'task-completed' && m.taskId === 'once');

  // As a node killed after the report reached it and before it stored it: it holds the attempt still.
  node.hold('resender-1', 'once', 3);
  proxy.drop();
  await pollUntil(() => node.registrations('resender-1') >= 2, { limitMs: 20_000, everyMs: 20, what: 'registered again' });
  await pollUntil(() => node.received.filter((m) => m.kind === 'task-completed' && m.taskId === 'once').length === 2, {
    limitMs: 20_000,
    everyMs: 20,
    what: 'the report sent again',
  });
  const again = node.received.filter((m) => m.kind === 'task-completed' && m.taskId === 'once').at(-1);
  t.like(again, { attempt: 3, result: 'the only result' });
  t.false(
    node.received.some((m) => m.kind === 'agent-error' && m.taskId === 'once'),
    'no AgentError for the attempt',
  );
  t.deepEqual(node.holding('resender-1'), []);
  t.is(events.filter((e) => e.type === 'task-ended').length, 1, 'the task ended once, before the reconnect');
});
