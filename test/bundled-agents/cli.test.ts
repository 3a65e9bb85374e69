// `npm run agents` end to end: the CLI in a child process against a stand-in node (a fake swarm on
// a remote transport, behind an HTTP server that mints agent tokens, answers GET /remote with the
// node's address, passes /remote upgrades to the transport and serves a small graph): it mints a
// token per agent, connects them, runs a task for real, and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { AgentRegisterMsg, KnowledgeShareMsg, TaskCompletedMsg } from '../../src/agent-protocol/messages.ts';
import { isRole } from '../../src/auth/roles.ts';
import { pollUntil } from '../helpers/poll.ts';
import { NODE_ADDRESS, startFakeNode, TEST_TOKENS } from '../sdk/support/fake-node.ts';
import { startGraphServer } from './support/graph-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--import=./src/cli/hold-signals.mjs', '--import=tsx', 'src/cli/agents.ts'];

function runCli(args: readonly string[]): { exited: Promise<number | null>; output: () => string; kill: (signal: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    exited,
    output: () => output,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, signal);
    },
  };
}

test('usage errors exit 2 and say how to call it', async (t) => {
  const none = runCli([]);
  t.teardown(() => none.kill('SIGKILL'));
  t.is(await none.exited, 2);
  t.regex(none.output(), /usage: npm run agents -- <linker\|summariser\|curator\|all>/);
  const noToken = runCli(['linker', '--url', 'http://127.0.0.1:9/']);
  t.teardown(() => noToken.kill('SIGKILL'));
  t.is(await noToken.exited, 2);
  t.regex(noToken.output(), /no \?token=ADMIN/);
});

test('npm run agents mints tokens, connects the agents, runs a link task and stops on SIGTERM', async (t) => {
  const node = await startFakeNode(t);
  const transportPort = Number(new URL(node.url).port);
  const admin = TEST_TOKENS.mint({ sub: 'admin', role: 'admin', ttlSeconds: 600 });
  const minted: string[] = [];
  const graph = await startGraphServer(
    t,
    [
      { id: 1, title: 'Alpha', type: 'page', content: 'Alpha is the first letter; Gamma comes later.' },
      { id: 2, title: 'Beta', type: 'page' },
      { id: 3, title: 'Gamma', type: 'page' },
    ],
    [
      { source: 1, target: 2 },
      { source: 2, target: 3 },
    ],
    (bearer) => TEST_TOKENS.verify(bearer).ok,
    {
      route(req, res, body) {
        if (req.url === '/remote') {
          res.writeHead(426, { 'content-type': 'application/json' }).end(JSON.stringify({ address: NODE_ADDRESS, versions: [1, 1] }));
          return true;
        }
        if (req.url !== '/api/tokens' || req.method !== 'POST') return false;
        if (req.headers.authorization !== `Bearer ${admin}`) {
          res.writeHead(401).end('{"error":"unauthorized"}');
          return true;
        }
        const asked = JSON.parse(body) as { role: string; sub: string; ttlSeconds: number };
        if (!isRole(asked.role)) throw new Error(`bad role ${asked.role}`);
        minted.push(asked.sub);
        const token = TEST_TOKENS.mint({ sub: asked.sub, role: asked.role, ttlSeconds: asked.ttlSeconds });
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ token, role: asked.role, sub: asked.sub }));
        return true;
      },
      // The WebSocket upgrade at /remote, passed byte for byte to the remote transport.
      upgrade(req, socket, head) {
        const upstream = connect({ host: '127.0.0.1', port: transportPort });
        const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
        const close = (): void => {
          upstream.destroy();
          socket.destroy();
        };
        upstream.on('error', close).on('close', close);
        socket.on('error', close).on('close', close);
      },
    },
  );
  const cli = runCli(['linker', '--count', '2', '--url', `${graph.url}/?token=${admin}`]);
  t.teardown(() => cli.kill('SIGKILL'));
  const registered = (): AgentRegisterMsg[] => node.received.filter((m): m is AgentRegisterMsg => m.kind === 'agent-register');
  await pollUntil(
    () => {
      if (cli.output().includes('could not start')) throw new Error(cli.output());
      return registered().length >= 2;
    },
    { limitMs: 40_000, everyMs: 20, what: `two linkers registered:\n${cli.output()}` },
  );
  const ids = registered().map((m) => m.agentId);
  t.deepEqual([...ids].sort(), [...minted].sort(), 'each agent connects with the token minted for it');
  for (const m of registered()) t.like(m, { agentType: 'linker', capabilities: ['link'], maxConcurrent: 2 });

  node.assign(ids[0]!, { taskId: 'link-1', capability: 'link', input: JSON.stringify({ pages: [1] }) });
  const done = await node.waitFor(
    'link-1 completed',
    (m): m is TaskCompletedMsg => m.kind === 'task-completed' && m.taskId === 'link-1',
    40_000,
  );
  const result = JSON.parse(done.result) as { proposals: { from: number; to: number }[] };
  t.deepEqual(
    result.proposals.map((p) => [p.from, p.to]),
    [[1, 3]],
  );
  const share = node.received.find((m): m is KnowledgeShareMsg => m.kind === 'knowledge-share');
  t.like(share, { topic: 'Unlinked mentions in Alpha', nodeIds: [1, 3] });
  await pollUntil(() => cli.output().includes('task link-1 completed'), { limitMs: 10_000, everyMs: 20, what: 'the CLI logged the task' });

  cli.kill('SIGTERM');
  t.is(await cli.exited, 0, cli.output());
  for (const id of ids) {
    await pollUntil(() => node.events.some((e) => e.type === 'association-down' && e.address === id), {
      limitMs: 10_000,
      everyMs: 20,
      what: `${id} let go at once`,
    });
  }
});
