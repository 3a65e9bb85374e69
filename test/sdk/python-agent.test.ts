// The Python agent of examples/python-agent, written from the schemas and docs/protocol.md alone,
// against a fake swarm on a remote transport in this process: its FlatBuffers code generated into
// a temporary folder, the handshake with its token, registration, heartbeats, a task answered by
// progress and a result, and a dropped connection dialed again. Skipped, saying why, when python3, its packages or flatc are missing.
import { spawn } from 'node:child_process';
import test from 'ava';
import type { AgentOutbound, TaskCompletedMsg, TaskProgressMsg } from '../../src/agent-protocol/messages.ts';
import { pollUntil } from '../helpers/poll.ts';
import { preparePythonAgent } from '../helpers/python-agent.ts';
import { agentToken, NODE_ADDRESS, startFakeNode } from './support/fake-node.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

test('the Python agent registers, heartbeats, answers tasks with progress and a word count, and reconnects', async (t) => {
  const agent = preparePythonAgent(t);
  if (agent === undefined) return;

  const node = await startFakeNode(t, { heartbeatMs: 200 });
  const proxy = await startTcpProxy(t, node.url);
  const child = spawn(
    agent.interpreter,
    [
      ...agent.args,
      '--node',
      NODE_ADDRESS,
      '--remote-url',
      proxy.url,
      '--token',
      agentToken('py-agent-1'),
      '--max-tasks',
      '2',
      '--max-reconnects',
      '3',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  const waitFor = (what: string, match: (m: AgentOutbound) => boolean): Promise<AgentOutbound> =>
    pollUntil(
      () => {
        if (child.exitCode !== null && !node.received.some(match))
          throw new Error(`${what}: the agent exited (${child.exitCode}):\n${output}`);
        return node.received.find(match);
      },
      { limitMs: 30_000, everyMs: 20, what },
    );

  const register = await waitFor('registration', (m) => m.kind === 'agent-register');
  t.like(register, { agentId: 'py-agent-1', agentType: 'python-word-counter', capabilities: ['count'], maxConcurrent: 1 });
  await waitFor('a heartbeat', (m) => m.kind === 'agent-heartbeat' && m.agentId === 'py-agent-1');

  node.assign('py-agent-1', { taskId: 'py-1', input: 'the quick brown fox jumps over the lazy dog', attempt: 4 });
  const done = (await waitFor('py-1 completed', (m) => m.kind === 'task-completed' && m.taskId === 'py-1')) as TaskCompletedMsg;
  t.like(done, { success: true, attempt: 4, agentId: 'py-agent-1' });
  const result = JSON.parse(done.result) as { words: number; distinct: number; top: [string, number][] };
  t.is(result.words, 9);
  t.is(result.distinct, 8);
  t.deepEqual(result.top[0], ['the', 2]);
  const progress = node.received.find((m): m is TaskProgressMsg => m.kind === 'task-progress' && m.taskId === 'py-1');
  t.like(progress, { progress: 0.5, attempt: 4 });
  t.true(node.received.indexOf(progress!) < node.received.indexOf(done));

  // The connection drops: the agent dials again, registers again, and carries on.
  t.true(proxy.drop() > 0);
  await pollUntil(() => node.registrations('py-agent-1') >= 2, { limitMs: 30_000, everyMs: 20, what: `registered again:\n${output}` });
  // A second task; then it stops by itself (--max-tasks 2) and says it is going away.
  node.assign('py-agent-1', { taskId: 'py-2', input: 'ünïcode wörds, too' });
  await waitFor('py-2 completed', (m) => m.kind === 'task-completed' && m.taskId === 'py-2');
  t.is(await exited, 0, output);
  await pollUntil(() => node.events.some((e) => e.type === 'association-down' && e.address === 'py-agent-1'), {
    limitMs: 15_000,
    everyMs: 20,
    what: 'the node let the stopped agent go',
  });
});
