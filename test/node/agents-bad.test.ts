// Bad agents as real processes against a real node (test/fixtures/bad-agent.ts): one that claims
// another agent's id, one that reports on a task it does not hold, one whose result is over the
// size limit, one that floods, one that stops (SIGSTOP) while holding a task, and an SDK agent
// stopped the same way, which rejoins cleanly when woken. Each is refused or
// dropped with the reason the node gives it, the tasks' states over REST are what they should be,
// and meanwhile a well-behaved SDK agent keeps completing tasks and a viewer stays connected.
import type { ExecutionContext } from 'ava';
import test from 'ava';
import WebSocket from 'ws';
import { ErrorCode } from '../../src/protocol/index.ts';
import type { Client } from '../gateway/support.ts';
import {
  badAgent,
  boot,
  countDone,
  echoAgent,
  submit,
  task,
  taskIn,
  viewer,
  sdkAgent,
  type AgentProcess,
  type Booted,
} from '../fixtures/bad-agent-node.ts';
import { pollUntil } from '../helpers/poll.ts';

interface Bystanders {
  readonly b: Booted;
  readonly sdk: AgentProcess;
  readonly viewer: Client;
}

/** A node with a well-behaved SDK agent (good-sdk) registered and a viewer connected. */
async function bootWithBystanders(t: ExecutionContext, name: string, limits: Parameters<typeof boot>[2] = {}): Promise<Bystanders> {
  const b = await boot(t, name, limits);
  const v = await viewer(t, b);
  const sdk = sdkAgent(t, b, 'good-sdk');
  await sdk.waitFor((m) => m.ready === true, 'connected');
  return { b, sdk, viewer: v };
}

/** The bystanders were not touched: the SDK agent completes a task, was never refused, and the viewer is still there. */
async function bystandersUnaffected(t: ExecutionContext, { b, sdk, viewer: v }: Bystanders): Promise<void> {
  await countDone(b, 'good-sdk');
  t.false(
    sdk.said.some((m) => m.event === 'refused' || m.event === 'closed' || m.event === 'disconnected'),
    'the SDK agent was never refused nor disconnected',
  );
  t.is(v.ws.readyState, WebSocket.OPEN, 'the viewer is still connected');
}

const refusal = (p: AgentProcess, code: ErrorCode, what: string): Promise<Record<string, unknown>> =>
  p.waitFor((m) => m.event === 'refused' && m.code === code, what);

test.serial('an agent claiming another agent’s id is refused at the handshake, at registration and in its reports', async (t) => {
  const by = await bootWithBystanders(t, 'bad-identity');
  const { b } = by;
  const handshakes: { address: string | undefined; code: number; reason: string }[] = [];
  b.node.remote.events.subscribe((e) => {
    if (e.type === 'connection-refused') handshakes.push({ address: e.address, code: e.code, reason: e.reason });
  });
  // Address bad-b with the token of good-sdk: the transport refuses the handshake.
  const forged = badAgent(t, b, { agentId: 'bad-b', tokenFor: 'good-sdk' });
  const refused = await pollUntil(() => handshakes.find((h) => /the token is for good-sdk, not bad-b/.test(h.reason)), {
    limitMs: 60_000,
    everyMs: 20,
    what: 'the forged handshake refused',
  });
  t.is(refused.code, 1008);
  t.regex(refused.reason, /^unauthorized: /);

  // Its own token and address, but an AgentRegister naming good-sdk: refused, naming who it is.
  const named = badAgent(t, b, { agentId: 'bad-c', registerAs: 'good-sdk' });
  const registration = await refusal(named, ErrorCode.Unauthorized, 'the registration as good-sdk refused');
  t.is(registration.message, 'you are bad-c: register as that agent, with your own actor');

  // Registered as itself, it reports as good-sdk: refused, and good-sdk's task is untouched.
  const running = await submit(b, 'count', { op: 'wait' });
  const held = await taskIn(b, running, 'running');
  const speaker = badAgent(t, b, { agentId: 'bad-d' });
  await speaker.waitFor((m) => m.event === 'registered', 'registered');
  speaker.send({ report: { taskId: running, attempt: held.attempts, agentId: 'good-sdk' } });
  t.is((await refusal(speaker, ErrorCode.Unauthorized, 'the report as good-sdk refused')).message, 'you are bad-d, not good-sdk');
  t.like(await task(b, running), { state: 'running', agentId: 'good-sdk', attempts: held.attempts });

  t.false(forged.said.some((m) => m.event === 'registered'));
  t.false(named.said.some((m) => m.event === 'registered'));
  by.sdk.send({ release: running });
  t.like(await taskIn(b, running, 'done'), { agentId: 'good-sdk', result: JSON.stringify({ released: running }) });
  await bystandersUnaffected(t, by);
});

test.serial('a report on a task the agent does not hold is refused with its task id, and the task is unchanged', async (t) => {
  const by = await bootWithBystanders(t, 'bad-report');
  const { b } = by;
  const running = await submit(b, 'count', { op: 'wait' });
  const held = await taskIn(b, running, 'running');
  const bad = badAgent(t, b, { agentId: 'bad-r' });
  await bad.waitFor((m) => m.event === 'registered', 'registered');
  bad.send({ report: { taskId: running, attempt: held.attempts } });
  const refused = await refusal(bad, ErrorCode.NotFound, 'the report refused');
  t.is(refused.taskId, running);
  t.is(refused.message, `you hold no task ${running}`);
  // Nor is a task that does not exist anyone's.
  bad.send({ report: { taskId: 'no-such-task', attempt: 1 } });
  await bad.waitFor((m) => m.event === 'refused' && m.taskId === 'no-such-task', 'the report on no task refused');

  const after = await task(b, running);
  t.like(after, { state: 'running', agentId: 'good-sdk', attempts: held.attempts });
  t.is(after.result ?? '', '');
  by.sdk.send({ release: running });
  t.like(await taskIn(b, running, 'done'), { agentId: 'good-sdk', attempts: held.attempts });
  await bystandersUnaffected(t, by);
});

test.serial('a result over the size limit is refused, and the task goes back to the queue and is done by another agent', async (t) => {
  const by = await bootWithBystanders(t, 'bad-oversize', { maxResultBytes: 1024 });
  const { b } = by;
  const bad = badAgent(t, b, { agentId: 'bad-o' });
  await bad.waitFor((m) => m.event === 'registered', 'registered');
  const id = await submit(b, 'echo', { n: 1 }, { maxAttempts: 5 });
  await bad.waitFor((m) => m.event === 'task' && m.taskId === id, 'the echo task');
  bad.send({ oversize: 4000 });
  const refused = await refusal(bad, ErrorCode.BadMessage, 'the oversize result refused');
  t.is(refused.taskId, id);
  t.is(refused.message, "result of 4000 bytes is over the swarm's limit of 1024");
  // Refused, not dropped: the attempt ends as a recoverable error, and the task is queued again.
  t.false(bad.said.some((m) => m.event === 'refused' && String(m.message).startsWith('dropped')));
  const requeued = await pollUntil(
    async () => {
      const now = await task(b, id);
      return now.errors.length > 0 && now;
    },
    { limitMs: 30_000, everyMs: 100, what: 'the first attempt ended' },
  );
  t.is(requeued.errors[0], "attempt 1: result of 4000 bytes is over the swarm's limit of 1024");
  t.not(requeued.state, 'failed');
  // The queue may hand the task straight back to the bad agent, the least loaded: it goes, and
  // the good one does the task.
  process.kill(bad.child.pid!, 'SIGKILL');
  const good = echoAgent(t, b, 'good-echo');
  await good.waitFor((m) => m.event === 'registered', 'registered');
  const done = await taskIn(b, id, 'done');
  t.like(done, { agentId: 'good-echo', result: 'done {"n":1}' });
  t.is(done.errors[0], requeued.errors[0]);
  await bystandersUnaffected(t, by);
});

test.serial('a flooding agent is dropped with its reason, and its task goes back to the queue', async (t) => {
  const by = await bootWithBystanders(t, 'bad-flood');
  const { b } = by;
  const bad = badAgent(t, b, { agentId: 'bad-f' });
  const registered = await bad.waitFor((m) => m.event === 'registered', 'registered');
  const id = await submit(b, 'echo', { n: 2 });
  await bad.waitFor((m) => m.event === 'task' && m.taskId === id, 'the echo task');
  const good = echoAgent(t, b, 'good-echo');
  await good.waitFor((m) => m.event === 'registered', 'registered');
  bad.send({ flood: 2_000 });
  const dropped = await refusal(bad, ErrorCode.Overloaded, 'dropped');
  t.is(dropped.message, 'dropped: rate limit exceeded: more than 200 messages a second');
  const done = await taskIn(b, id, 'done');
  t.like(done, { agentId: 'good-echo', result: 'done {"n":2}', attempts: 2 });
  t.regex(done.errors[0] ?? '', /rate limit exceeded/);
  // What it sends after is refused: the swarm no longer knows it.
  const after = await refusal(bad, ErrorCode.NotFound, 'not registered');
  t.regex(String(after.message), /^bad-f is not registered in swarm default: register again$/);
  await pollUntil(async () => (await b.graph.node(registered.nodeId as number))?.metadata?.status === 'dropped', {
    limitMs: 30_000,
    everyMs: 100,
    what: 'the agent node shows dropped',
  });
  await bystandersUnaffected(t, by);
});

test.serial(
  'an agent that stops (SIGSTOP) is lost after the bound, its task done by another; on SIGCONT it never completes it',
  async (t) => {
    const by = await bootWithBystanders(t, 'bad-stopped');
    const { b } = by;
    const bad = badAgent(t, b, { agentId: 'bad-s' });
    const registered = await bad.waitFor((m) => m.event === 'registered', 'registered');
    const id = await submit(b, 'echo', { n: 3 });
    await bad.waitFor((m) => m.event === 'task' && m.taskId === id, 'the echo task');
    const good = echoAgent(t, b, 'good-echo');
    await good.waitFor((m) => m.event === 'registered', 'registered');
    process.kill(bad.child.pid!, 'SIGSTOP');
    t.teardown(() => {
      if (bad.child.exitCode === null && bad.child.signalCode === null) process.kill(bad.child.pid!, 'SIGCONT');
    });
    const done = await taskIn(b, id, 'done');
    t.like(done, { agentId: 'good-echo', result: 'done {"n":3}', attempts: 2 });
    await pollUntil(async () => (await b.graph.node(registered.nodeId as number))?.metadata?.status === 'lost', {
      limitMs: 30_000,
      everyMs: 100,
      what: 'the agent node shows lost',
    });
    await bystandersUnaffected(t, by);

    // Woken, it completes the task it held: the node has quarantined that incarnation, or refuses the report.
    const refusedBefore = bad.said.length;
    process.kill(bad.child.pid!, 'SIGCONT');
    await bad.waitFor((m) => m.event === 'late', 'woken');
    const answer = await bad.waitFor(
      (m) =>
        bad.said.indexOf(m) >= refusedBefore &&
        (m.event === 'connection-refused' || m.event === 'association-down' || m.event === 'refused'),
      'the node refuses the woken agent',
    );
    t.log(`the woken agent was told: ${JSON.stringify(answer)}`);
    t.false(bad.said.some((m) => m.event === 'registered' && bad.said.indexOf(m) >= refusedBefore));
    t.like(await task(b, id), { state: 'done', agentId: 'good-echo', result: 'done {"n":3}', attempts: 2 });
  },
);

test.serial('an SDK agent stopped (SIGSTOP) while holding a task rejoins cleanly on SIGCONT, and drops the task another did', async (t) => {
  const b = await boot(t, 'bad-stopped-sdk');
  const v = await viewer(t, b);
  const stopped = sdkAgent(t, b, 'sdk-stopped');
  await stopped.waitFor((m) => m.ready === true, 'connected');
  const id = await submit(b, 'count', { op: 'wait' });
  t.like(await taskIn(b, id, 'running'), { agentId: 'sdk-stopped', attempts: 1 });
  const good = sdkAgent(t, b, 'good-sdk');
  await good.waitFor((m) => m.ready === true, 'connected');

  process.kill(stopped.child.pid!, 'SIGSTOP');
  t.teardown(() => {
    if (stopped.child.exitCode === null && stopped.child.signalCode === null) process.kill(stopped.child.pid!, 'SIGCONT');
  });
  // The node lets it go; the task goes to the good agent, which finishes it when released.
  await pollUntil(
    async () => {
      const now = await task(b, id);
      return now.agentId === 'good-sdk' && now.state === 'running' && now;
    },
    { limitMs: 60_000, everyMs: 100, what: 'the task running on good-sdk' },
  );
  good.send({ release: id });
  t.like(await taskIn(b, id, 'done'), { agentId: 'good-sdk', attempts: 2, result: JSON.stringify({ released: id }) });

  process.kill(stopped.child.pid!, 'SIGCONT');
  const back = await stopped.waitFor((m) => m.event === 'registered', 'registered again');
  t.log(`registered again: ${JSON.stringify(back)}`);
  const ended = await stopped.waitFor((m) => m.event === 'task-ended' && m.taskId === id, 'its old task ended');
  t.is(ended.outcome, 'dropped');
  t.true(
    stopped.said.some((m) => m.event === 'rejoining'),
    'a new incarnation: the old one is quarantined',
  );
  t.like(await task(b, id), { state: 'done', agentId: 'good-sdk', attempts: 2 });
  // Both take work again.
  const next = await submit(b, 'count', { op: 'count', text: 'a b' });
  t.like(await taskIn(b, next, 'done'), { result: JSON.stringify({ words: 2 }) });
  t.is(v.ws.readyState, WebSocket.OPEN, 'the viewer is still connected');
});
