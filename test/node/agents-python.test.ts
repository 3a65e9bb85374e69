// The Python agent of examples/python-agent against a real node: it learns the node's address from
// GET /remote, registers with a token the test minted, is given a task submitted over REST for the
// capability it declares, and completes it: the task is done with its result, by that agent.
// Skipped, saying why, when python3, its packages or flatc are missing.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { agentNodeId } from '../../src/actors/swarm-graph.ts';
import { agentToken, boot, submit, taskIn } from '../fixtures/bad-agent-node.ts';
import { pollUntil } from '../helpers/poll.ts';

const FOLDER = fileURLToPath(new URL('../../examples/python-agent/', import.meta.url));

/** A python3 with the agent's packages: the one on the PATH, else the system's (a pyenv one may lack them). */
function python(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(candidate, ['-c', 'import flatbuffers, websocket'], { stdio: 'pipe' });
      return candidate;
    } catch {
      // The next one.
    }
  }
  return undefined;
}

function lacking(interpreter: string | undefined): string | undefined {
  if (interpreter === undefined)
    return 'python3 with the flatbuffers and websocket-client packages (Debian: python3-flatbuffers python3-websocket)';
  try {
    execFileSync('flatc', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'flatc (Debian: flatbuffers-compiler)';
  }
  return undefined;
}

test('the Python agent discovers a real node, registers, and completes a task submitted over REST', async (t) => {
  const interpreter = python();
  const missing = lacking(interpreter);
  if (missing !== undefined) {
    t.log(`skipped: the Python agent needs ${missing}`);
    t.pass();
    return;
  }
  const generated = mkdtempSync(join(tmpdir(), 'vf-python-node-'));
  t.teardown(() => rmSync(generated, { recursive: true, force: true }));
  execFileSync(join(FOLDER, 'generate.sh'), [generated], { stdio: 'pipe' });

  const b = await boot(t, 'python-node');
  const args = [join(FOLDER, 'agent.py'), '--url', b.base, '--token', agentToken(b, 'py-real'), '--generated', generated];
  const child = spawn(interpreter!, [...args, '--capability', 'py-count', '--max-tasks', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
