// The agents' task pipeline with real processes: a node process (test/fixtures/node-process.ts) on a
// PGlite folder, SDK agent processes (test/fixtures/sdk-agent.ts) and clients over REST and the
// WebSocket. Every accepted task ends done exactly once: by the store's final states and by what
// each agent says it sent. An agent killed mid-task, and one past its deadline, lose their task to
// another agent.
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { HandshakeT, Payload, TaskSubmitT, Topic, type TaskStatusT } from '../../src/protocol/index.ts';
import { Client } from '../gateway/support.ts';
import { pollUntil } from '../helpers/poll.ts';
import {
  allFinal,
  completionsOf,
  freePort,
  http,
  startAgent,
  startNode,
  spawnProc,
  submitTask,
  TOKENS,
  type Proc,
  type TaskJson,
} from './support/processes.ts';

const WIRE_DONE = 3;
const RAW_AGENT = fileURLToPath(new URL('../fixtures/swarm-agent.ts', import.meta.url));

async function nodeOnPglite(t: ExecutionContext, name: string): Promise<{ node: Proc; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), `vf-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const node = await startNode(t, { name, port, dataDir: join(dir, 'pglite') });
  return { node, port };
}

interface GraphNodeJson {
  readonly id: number;
  readonly kind: string;
  readonly metadata?: Record<string, string>;
}

/** The graph node that shows agent `agentId`, found by searching its name. */
async function agentNode(port: number, agentId: string): Promise<GraphNodeJson | undefined> {
  const viewer = TOKENS.mint({ sub: 'v', role: 'viewer', ttlSeconds: 60 });
  const found = await http(port, `/api/graph/search?q=${encodeURIComponent(agentId)}&limit=20`, viewer);
  if (found.status !== 200) return undefined;
  const body = JSON.parse(found.body) as { nodes?: GraphNodeJson[]; results?: GraphNodeJson[] };
  for (const hit of (body.nodes ?? body.results ?? []).filter((n) => n.kind === 'agent')) {
    const reply = await http(port, `/api/graph/node/${hit.id}`, viewer);
    const node = reply.status === 200 ? (JSON.parse(reply.body) as GraphNodeJson | { node: GraphNodeJson }) : undefined;
    const full = node !== undefined && 'node' in node ? node.node : node;
    if (full?.metadata?.agent_id === agentId) return full;
  }
  return undefined;
}

/** Every task done, by exactly one completion that its final agent and attempt sent. */
function doneOnce(t: ExecutionContext, ids: readonly string[], final: Map<string, TaskJson>, agents: readonly Proc[]): void {
  const sent = completionsOf(agents);
  for (const id of ids) {
    const task = final.get(id)!;
    t.is(task.state, 'done', `${id}: ${JSON.stringify(task)}`);
    t.deepEqual(sent.get(id), [`${task.agentId}#${task.attempts}`], `${id}: the completions the agents sent`);
  }
}

test.serial('3 agents, 30 tasks over REST and 6 over the WebSocket: each done exactly once', async (t) => {
  t.timeout(300_000);
  const { port } = await nodeOnPglite(t, 'pipeline-many');
  const agents = await Promise.all(['a-1', 'a-2', 'a-3'].map((id) => startAgent(t, port, id, { workMs: 100, maxConcurrent: 2 })));

  const client = await Client.open(`ws://127.0.0.1:${port}/ws`);
  t.teardown(() => client.ws.terminate());
  client.send(new HandshakeT(TOKENS.mint({ sub: 'wes', role: 'editor', ttlSeconds: 600 }), 0, 0n, 'pipeline-many', null));
  await client.waitFor(() => client.of(Payload.HandshakeAccepted).length === 1, 60_000);
  client.subscribe(Topic.Tasks);

  const rest = await Promise.all(
    Array.from({ length: 30 }, (_, i) => submitTask(t, port, { description: `task ${i}`, capability: 'echo', input: { i } })),
  );
  t.true(rest.every((task) => task !== undefined));
  const seqs = Array.from({ length: 6 }, (_, i) =>
    client.send(new TaskSubmitT(`ws task ${i}`, null, 'echo', `{"ws":${i}}`, null, 0, 0, 0)),
  );
  const wsIds = await pollUntil(
    () => {
      const answers = seqs.map((seq) => client.envelopes.find((e) => Number(e.correlationId) === seq));
      return answers.every((a) => a?.payloadType === Payload.TaskStatus) && answers.map((a) => String((a!.payload as TaskStatusT).taskId));
    },
    { limitMs: 60_000, everyMs: 50, what: 'the TaskSubmit answers' },
  );
  const ids = [...rest.map((task) => task!.id), ...wsIds];
  t.is(new Set(ids).size, 36);

  const final = await allFinal(port, ids, 180_000);
  doneOnce(t, ids, final, agents);
  for (const id of ids) t.is(final.get(id)!.attempts, 1, `${id} ran once`);
  t.true(agents.filter((a) => a.lines.some((l) => l.event === 'task-ended')).length >= 2, 'the work was shared');
  // The watcher saw every task done, over Topic.Tasks.
  await client.waitFor(() => {
    const done = new Set(
      client
        .of(Payload.TaskStatus)
        .map((e) => e.payload as TaskStatusT)
        .filter((s) => s.state === WIRE_DONE)
        .map((s) => String(s.taskId)),
    );
    return ids.every((id) => done.has(id));
  }, 60_000);
});

test.serial('an agent killed with -9 mid-task: the task goes to another agent, done once; the agent shows lost', async (t) => {
  t.timeout(300_000);
  const { port } = await nodeOnPglite(t, 'pipeline-kill-agent');
  // The doomed agent works forever on what it gets; it registers first, so that it gets the task.
  const doomed = await startAgent(t, port, 'doomed', { workMs: 600_000, maxConcurrent: 1 });
  const task = (await submitTask(t, port, { description: 'survive a kill', capability: 'echo', input: 'x', deadlineMs: 600_000 }))!;
  await doomed.waitFor((l) => l.event === 'work' && l.taskId === task.id, 'the task started');
  const helper = await startAgent(t, port, 'helper', { workMs: 50 });
  await doomed.kill9();

  const final = await allFinal(port, [task.id], 120_000);
  doneOnce(t, [task.id], final, [doomed, helper]);
  t.like(final.get(task.id), { agentId: 'helper', attempts: 2 });
  await pollUntil(async () => (await agentNode(port, 'doomed'))?.metadata?.status === 'lost', {
    limitMs: 90_000,
    everyMs: 250,
    what: "the killed agent's node lost",
  });
  t.pass();
});

test.serial('an agent past its deadline: revoked (its signal aborts), reassigned, done once; nothing late counts', async (t) => {
  t.timeout(300_000);
  const { port } = await nodeOnPglite(t, 'pipeline-deadline');
  // The slow one keeps working after its signal aborted, as a stuck handler would. The deadline
  // leaves the quick agent, started once the slow one works, time to register and wait idle.
  const slow = await startAgent(t, port, 'slow', { workMs: 12_000, maxConcurrent: 1, ignoreAbort: true });
  const task = (await submitTask(t, port, { description: 'be quick', capability: 'echo', input: 'y', deadlineMs: 6_000 }))!;
  await slow.waitFor((l) => l.event === 'work' && l.taskId === task.id, 'the task started');
  const quick = await startAgent(t, port, 'quick', { workMs: 10 });
  const final = await allFinal(port, [task.id], 120_000);
  doneOnce(t, [task.id], final, [slow, quick]);
  t.like(final.get(task.id), { agentId: 'quick', attempts: 2 });
  t.true(final.get(task.id)!.errors.length >= 1, 'the first attempt says why it ended');
  await slow.waitFor((l) => l.event === 'aborted' && l.taskId === task.id && l.attempt === 1, 'the slow attempt aborted', 60_000);
  // Its handler returned late; the SDK sent nothing for the revoked attempt.
  await slow.waitFor((l) => l.event === 'returned' && l.taskId === task.id, 'the slow handler returned', 60_000);
  const ended = await slow.waitFor((l) => l.event === 'task-ended' && l.taskId === task.id, 'the slow attempt ended', 60_000);
  t.not(ended.outcome, 'completed');
});

test.serial('a completion sent after the deadline took the task back is refused; the task is done once by another agent', async (t) => {
  t.timeout(300_000);
  const { port } = await nodeOnPglite(t, 'pipeline-late');
  // An agent on the bare protocol that completes 9 s after each assignment, whatever it is told.
  const late = spawnProc(t, 'late', RAW_AGENT, {
    url: `ws://127.0.0.1:${port}/remote`,
    node: 'pipeline-late',
    agentId: 'late',
    token: TOKENS.mint({ sub: 'late', role: 'agent', ttlSeconds: 600 }),
    completeAfterMs: 9_000,
  });
  await late.waitFor((l) => l.event === 'registered', 'registered');
  const task = (await submitTask(t, port, { description: 'in time', capability: 'echo', input: 'z', deadlineMs: 6_000 }))!;
  await late.waitFor((l) => l.event === 'task' && l.taskId === task.id, 'the task assigned');
  const quick = await startAgent(t, port, 'quick-2', { workMs: 10 });

  await late.waitFor((l) => l.event === 'task-cancel', 'the attempt revoked', 60_000);
  await late.waitFor((l) => l.event === 'late-completion' && l.taskId === task.id && l.attempt === 1, 'the late completion sent', 60_000);
  const refused = await late.waitFor((l) => l.event === 'refused' && l.taskId === task.id, 'the late completion refused', 60_000);
  t.regex(String(refused.message), /attempt|hold|not/i);
  const final = await allFinal(port, [task.id], 120_000);
  t.like(final.get(task.id), { state: 'done', agentId: 'quick-2', attempts: 2, result: 'done z' });
  doneOnce(t, [task.id], final, [quick]);
});
