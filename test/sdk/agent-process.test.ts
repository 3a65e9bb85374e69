// An agent in a child process, built on the SDK, against a fake swarm on a remote transport in
// this process: registration, heartbeats, tasks with progress and results, failures, knowledge,
// cancellation through ctx.signal, maxConcurrent, and a dropped connection resumed.
import test from 'ava';
import type {
  AgentErrorMsg,
  AgentHeartbeatMsg,
  AgentOutbound,
  KnowledgeShareMsg,
  TaskCompletedMsg,
  TaskProgressMsg,
} from '../../src/agent-protocol/messages.ts';
import { startAgentChild, type AgentChild } from './support/agent-child.ts';
import { agentToken, NODE_ADDRESS, startFakeNode, TEST_LIMITS, type FakeNode } from './support/fake-node.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

const completed =
  (taskId: string) =>
  (m: AgentOutbound): m is TaskCompletedMsg =>
    m.kind === 'task-completed' && m.taskId === taskId;
const errored =
  (taskId: string) =>
  (m: AgentOutbound): m is AgentErrorMsg =>
    m.kind === 'agent-error' && m.taskId === taskId;

async function agentOn(
  t: Parameters<typeof startFakeNode>[0],
  node: FakeNode,
  id: string,
  url = node.url,
  maxConcurrent = 2,
): Promise<AgentChild> {
  const child = startAgentChild(t, { token: agentToken(id), node: { address: NODE_ADDRESS, url }, maxConcurrent, limits: TEST_LIMITS });
  await child.waitFor(`${id} registered`, (m) => m.ready === true || m.connectError !== undefined);
  const failed = child.messages.find((m) => m.connectError !== undefined);
  if (failed !== undefined) throw new Error(String(failed.connectError));
  return child;
}

test('an agent process registers, heartbeats, and reports progress, results, failures and knowledge', async (t) => {
  const node = await startFakeNode(t, { heartbeatMs: 100 });
  const child = await agentOn(t, node, 'counter-1');
  const register = node.received.find((m) => m.kind === 'agent-register');
  t.like(register, { agentId: 'counter-1', agentType: 'counter', name: 'Test counter', capabilities: ['count'], maxConcurrent: 2 });

  await node.waitFor('three heartbeats', () => node.received.filter((m) => m.kind === 'agent-heartbeat').length >= 3);
  const beat = node.received.find((m): m is AgentHeartbeatMsg => m.kind === 'agent-heartbeat')!;
  t.is(beat.agentId, 'counter-1');
  t.true(beat.memoryBytes > 0);
  t.true(beat.health >= 0 && beat.health <= 1);

  node.assign('counter-1', { taskId: 't-count', input: JSON.stringify({ op: 'count', text: 'one two  three' }) });
  const done = await node.waitFor('t-count completed', completed('t-count'));
  t.like(done, { success: true, attempt: 1, agentId: 'counter-1' });
  t.deepEqual(JSON.parse(done.result), { words: 3 });
  const progress = node.received.find((m): m is TaskProgressMsg => m.kind === 'task-progress' && m.taskId === 't-count');
  t.like(progress, { progress: 0.5, partialResult: 'counting' });
  t.true(node.received.indexOf(progress!) < node.received.indexOf(done), 'progress comes before the result');

  node.assign('counter-1', { taskId: 't-soft', input: JSON.stringify({ op: 'fail', recoverable: true }) });
  node.assign('counter-1', { taskId: 't-hard', input: JSON.stringify({ op: 'fail', recoverable: false }), attempt: 3 });
  t.like(await node.waitFor('t-soft error', errored('t-soft')), { recoverable: true, message: 'asked to fail', attempt: 1 });
  t.like(await node.waitFor('t-hard error', errored('t-hard')), { recoverable: false, attempt: 3 });

  node.assign('counter-1', { taskId: 't-share', input: JSON.stringify({ op: 'share' }) });
  await node.waitFor('t-share completed', completed('t-share'));
  const share = node.received.find((m): m is KnowledgeShareMsg => m.kind === 'knowledge-share');
  t.like(share, { agentId: 'counter-1', topic: 'Test share', nodeIds: [1, 2] });

  child.send({ close: true });
  t.is(await child.exited, 0);
});

test('a TaskCancel aborts the handler’s signal, and nothing is reported for the task after it', async (t) => {
  const node = await startFakeNode(t);
  const child = await agentOn(t, node, 'counter-2');
  node.assign('counter-2', { taskId: 't-wait', input: JSON.stringify({ op: 'wait' }), attempt: 2 });
  await node.waitFor('t-wait started', (m) => m.kind === 'task-progress' && m.taskId === 't-wait');
  node.cancel('counter-2', 't-wait', 2, 'no longer needed');
  const ended = await child.waitFor('t-wait cancelled', (m) => m.event === 'task-ended' && m.taskId === 't-wait');
  t.like(ended, { outcome: 'cancelled', detail: 'no longer needed', attempt: 2 });
  // The agent carries on: a later task still completes, and the cancelled one never reported.
  node.assign('counter-2', { taskId: 't-after', input: JSON.stringify({ op: 'count', text: 'a' }) });
  await node.waitFor('t-after completed', completed('t-after'));
  t.false(node.received.some((m) => (m.kind === 'task-completed' || m.kind === 'agent-error') && m.taskId === 't-wait'));
});

test('no more than maxConcurrent tasks run at once: one beyond is refused as recoverable', async (t) => {
  const node = await startFakeNode(t);
  const child = await agentOn(t, node, 'counter-3', undefined, 2);
  for (const id of ['w-1', 'w-2', 'w-3']) node.assign('counter-3', { taskId: id, input: JSON.stringify({ op: 'wait' }) });
  const refused = await node.waitFor('w-3 refused', errored('w-3'));
  t.true(refused.recoverable);
  t.regex(refused.message, /at capacity: 2/);
  child.send({ release: 'w-1' });
  await node.waitFor('w-1 completed', completed('w-1'));
  node.assign('counter-3', { taskId: 'w-4', input: JSON.stringify({ op: 'wait' }), attempt: 1 });
  await child.waitFor('w-4 started', (m) => m.event === 'task-started' && m.taskId === 'w-4');
  child.send({ release: 'w-2' });
  child.send({ release: 'w-4' });
  await node.waitFor('w-2 completed', completed('w-2'));
  await node.waitFor('w-4 completed', completed('w-4'));
  const most = Math.max(...child.messages.filter((m) => typeof m.maxActive === 'number').map((m) => m.maxActive as number));
  t.is(most, 2);
});

test('after the connection drops the agent registers again, keeps the tasks the node holds and drops the others', async (t) => {
  const node = await startFakeNode(t);
  const proxy = await startTcpProxy(t, node.url);
  const child = await agentOn(t, node, 'counter-4', proxy.url);
  node.assign('counter-4', { taskId: 'keep', input: JSON.stringify({ op: 'wait' }) });
  node.assign('counter-4', { taskId: 'lose', input: JSON.stringify({ op: 'wait' }) });
  await node.waitFor('both started', () => node.received.filter((m) => m.kind === 'task-progress').length >= 2);
  // Meanwhile the node gave "lose" to someone else; then the connection goes.
  node.forget('counter-4', 'lose');
  t.true(proxy.drop() > 0);
  await child.waitFor('disconnected', (m) => m.event === 'disconnected');
  const again = await child.waitFor('registered again', (m) => m.event === 'registered' && (m.resumed as string[]).length > 0);
  t.deepEqual(again.resumed, ['keep']);
  t.deepEqual(again.dropped, ['lose']);
  t.is(node.registrations('counter-4'), 2);
  t.like(await child.waitFor('lose dropped', (m) => m.event === 'task-ended' && m.taskId === 'lose'), { outcome: 'dropped' });
  child.send({ release: 'keep' });
  const done = await node.waitFor('keep completed', completed('keep'));
  t.deepEqual(JSON.parse(done.result), { released: 'keep' });
  t.false(node.received.some((m) => m.kind === 'task-completed' && m.taskId === 'lose'));
});
