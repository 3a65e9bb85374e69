// What a swarm forgets, against a real node: a swarm dispatcher that restarts no longer knows its
// agents, and an SDK agent it refuses with NotFound registers again and takes tasks; agent nodes of
// an earlier run, shown "working" or "idle" though nothing registered them in this one, are shown
// "offline" when their swarm starts.
import test from 'ava';
import { agentNodeId } from '../../src/actors/swarm-graph.ts';
import { swarmDispatcherPath } from '../../src/actors/task-messages.ts';
import { KeyValueT, NodeKind, NodeT } from '../../src/protocol/index.ts';
import { addNode, applied, one } from '../fixtures/graph-port.ts';
import { boot, countDone, sdkAgent, type Booted } from '../fixtures/bad-agent-node.ts';
import { pollUntil } from '../helpers/poll.ts';

const statusOf = async (b: Booted, agentId: string): Promise<string | undefined> =>
  (await b.graph.node(agentNodeId(agentId)))?.metadata?.status;

test.serial('an SDK agent the restarted swarm dispatcher forgot registers again and takes tasks', async (t) => {
  const b = await boot(t, 'restart-dispatcher');
  const sdk = sdkAgent(t, b, 'sdk-1');
  await sdk.waitFor((m) => m.ready === true, 'connected');
  await countDone(b, 'sdk-1');

  t.true(b.node.system.faults.kill(swarmDispatcherPath('default')));
  const warned = await sdk.waitFor((m) => m.event === 'warning' && /NotFound/.test(String(m.message)), 'refused as not registered');
  t.regex(String(warned.message), /sdk-1 is not registered in swarm default: register again: registering again in 500 ms/);
  // The first registration came before the process listened: any registered event is the new one.
  await pollUntil(() => sdk.said.some((m) => m.event === 'registered'), {
    limitMs: 30_000,
    everyMs: 50,
    what: 'registered again',
  });
  await countDone(b, 'sdk-1', 'after the restart');
  t.false(
    sdk.said.some((m) => m.event === 'closed'),
    'the agent did not stop',
  );
  await pollUntil(async () => (await statusOf(b, 'sdk-1')) === 'idle', { limitMs: 30_000, everyMs: 100, what: 'sdk-1 idle' });
});

function agentNode(agentId: string, swarm: string, status: string): NodeT {
  const meta = { agent_id: agentId, agent_type: 'tester', status, task: 'something', progress: '0.5', swarm };
  const kvs = Object.entries(meta).map(([k, v]) => new KeyValueT(k, v));
  return new NodeT(agentNodeId(agentId), NodeKind.Agent, 'agent', agentId, null, null, null, kvs);
}

test.serial('agent nodes of an earlier run are shown offline when their swarm starts', async (t) => {
  const b = await boot(t, 'restart-stale');
  // What an earlier run left: two agents of the default swarm, one of another swarm.
  for (const n of [
    agentNode('ghost-1', 'default', 'working'),
    agentNode('ghost-2', 'default', 'idle'),
    agentNode('other-1', 'other', 'working'),
  ]) {
    await pollUntil(async () => (await applied(b.graph, one(addNode(n)))).ok, { limitMs: 60_000, everyMs: 100, what: `${n.title} added` });
  }
  t.is(await statusOf(b, 'ghost-1'), 'working');
  const sdk = sdkAgent(t, b, 'sdk-2');
  await sdk.waitFor((m) => m.ready === true, 'connected');
  for (const ghost of ['ghost-1', 'ghost-2']) {
    await pollUntil(async () => (await statusOf(b, ghost)) === 'offline', { limitMs: 30_000, everyMs: 100, what: `${ghost} offline` });
  }
  const ghost = await b.graph.node(agentNodeId('ghost-1'));
  t.like(ghost?.metadata, { agent_id: 'ghost-1', swarm: 'default', task: '', progress: '0' });
  await pollUntil(async () => (await statusOf(b, 'sdk-2')) === 'idle', { limitMs: 30_000, everyMs: 100, what: 'sdk-2 idle' });
  t.is(await statusOf(b, 'other-1'), 'working', 'another swarm’s agents are its own to sweep');
  await countDone(b, 'sdk-2');
});
