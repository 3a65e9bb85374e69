// The Python agent of examples/python-agent against a real node: it learns the node's address from
// GET /remote, registers with a token the test minted, is given a task submitted over REST for the
// capability it declares, and completes it: the task is done with its result, by that agent.
// Skipped, saying why, when python3, its packages or flatc are missing.
import { spawn } from 'node:child_process';
import test from 'ava';
import { agentNodeId } from '../../src/actors/swarm-graph.ts';
import { agentToken, boot, submit, taskIn } from '../fixtures/bad-agent-node.ts';
import { pollUntil } from '../helpers/poll.ts';
import { preparePythonAgent } from '../helpers/python-agent.ts';

test('the Python agent discovers a real node, registers, and completes a task submitted over REST', async (t) => {
  const agent = preparePythonAgent(t);
  if (agent === undefined) return;
  const b = await boot(t, 'python-node');
  const args = [...agent.args, '--url', b.base, '--token', agentToken(b, 'py-real')];
  const child = spawn(agent.interpreter, [...args, '--capability', 'py-count', '--max-tasks', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });

  // Registered: its node shows in the graph.
  const shown = await pollUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`the agent exited (${child.exitCode}):\n${output}`);
      const node = await b.graph.node(agentNodeId('py-real'));
      return node?.metadata?.status === 'idle' && node;
    },
    { limitMs: 60_000, everyMs: 100, what: 'the Python agent registered' },
  );
  t.like(shown.metadata, { agent_id: 'py-real', agent_type: 'python-word-counter', swarm: 'default' });

  // Its input is the JSON string: the quotes are no words.
  const id = await submit(b, 'py-count', 'the quick brown fox jumps over the lazy dog');
  const done = await taskIn(b, id, 'done', 60_000).catch((error: unknown) => {
    t.log(output);
    throw error;
  });
  t.like(done, { agentId: 'py-real', attempts: 1 });
  const result = JSON.parse(done.result ?? '') as { words: number; distinct: number; top: [string, number][] };
  t.is(result.words, 9);
  t.is(result.distinct, 8);
  t.deepEqual(result.top[0], ['the', 2]);
  // It stops by itself after one task (--max-tasks 1), and the node lets it go.
  t.is(await exited, 0, output);
});
