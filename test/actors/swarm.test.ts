// The swarms registry and a swarm's dispatcher in one process, on a virtual clock: local actors
// stand for the agents (a test identity maps each to its agent id, as the remote transport's proven
// address does in a node), a fake queue leases tasks, and a fake graph port records the writes.
import test, { type ExecutionContext } from 'ava';
import type { AgentInbound, AgentOutbound, AgentRefusedMsg, TaskAssignedMsg, TaskCompletedMsg } from '../../src/agent-protocol/messages.ts';
import type { SwarmMsg } from '../../src/actors/swarm-messages.ts';
import type { SwarmLimits } from '../../src/actors/swarm-options.ts';
import { swarmRegistry } from '../../src/actors/swarm-registry.ts';
import { AgentEventHub } from '../../src/actors/agent-port.ts';
import type { AgentEvent, GraphApplyRequest, GraphPort } from '../../src/gateway/ports.ts';
import {
  ErrorCode,
  GraphOp,
  KeyValueT,
  NodeKind,
  NodeT,
  type AddNodeT,
  type GraphBatchT,
  type UpdateNodeT,
} from '../../src/protocol/index.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import type { RemoteRef } from '../../src/runtime/transport.ts';
import { fakeQueue, fakeQueueState, task, type FakeQueueState } from '../fixtures/swarm-fake-queue.ts';
import { testSystem } from '../helpers/system.ts';

interface FakeGraph extends GraphPort {
  readonly applied: GraphApplyRequest[];
  readonly existing: Set<number>;
  /** Nodes already in the graph that an add of them conflicts with (as one left by an earlier run). */
  readonly stored: Map<number, NodeT>;
}

function fakeGraph(): FakeGraph {
  const applied: GraphApplyRequest[] = [];
  const existing = new Set<number>();
  const stored = new Map<number, NodeT>();
  const no = (): never => {
    throw new Error('not in this fake');
  };
  const conflictOf = (request: GraphApplyRequest): NodeT | undefined => {
    const m = request.mutation;
    const updates = (m.kind === 'batch' ? (m.batch as unknown as { updates: unknown[] }).updates : [m.update]) as {
      opType: GraphOp;
      op: unknown;
    }[];
    for (const u of updates)
      if (u.opType === GraphOp.AddNode && stored.has((u.op as AddNodeT).node!.id)) return stored.get((u.op as AddNodeT).node!.id);
    return undefined;
  };
  return {
    applied,
    existing,
    stored,
    apply(request) {
      applied.push(request);
      const conflict = conflictOf(request);
      request.replyTo.tell({
        type: 'graph-applied',
        answerTo: request.tag,
        result:
          conflict === undefined
            ? { ok: true, version: applied.length }
            : { ok: false, code: 'conflict', message: 'exists', current: { node: conflict } },
      });
    },
    version: () => Promise.resolve(applied.length),
    node: no,
    neighbours: no,
    nodesById: (ids) => Promise.resolve(ids.filter((id) => existing.has(id)).map((id) => ({ id, kind: 'knowledge' }))),
    search: no,
    edgePage: no,
    nodePage: no,
    subscribe: () => undefined,
    unsubscribe: () => undefined,
  };
}

/** Every node the fake graph was given, by id, as last written (adds and updates). */
function nodesWritten(graph: FakeGraph): Map<number, NodeT> {
  const nodes = new Map<number, NodeT>();
  for (const r of graph.applied) {
    const updates = r.mutation.kind === 'batch' ? (r.mutation.batch as GraphBatchT & { updates: unknown[] }).updates : [r.mutation.update];
    for (const u of updates as { opType: GraphOp; op: unknown }[]) {
      if (u.opType === GraphOp.AddNode || u.opType === GraphOp.UpdateNode) {
        const node = (u.op as AddNodeT | UpdateNodeT).node!;
        nodes.set(node.id, node as unknown as NodeT);
      } else if (u.opType === GraphOp.RemoveNode) nodes.delete((u.op as { id: number }).id);
    }
  }
  return nodes;
}

const meta = (node: NodeT | undefined): Record<string, string> =>
  Object.fromEntries((node?.metadata ?? []).map((kv) => [String(kv.key), String(kv.value)]));

interface Agent {
  readonly id: string;
  readonly ref: Ref<AgentInbound>;
  readonly inbox: AgentInbound[];
  refusals(): AgentRefusedMsg[];
  tasks(): TaskAssignedMsg[];
}

function setup(t: ExecutionContext, limits: Partial<SwarmLimits> = {}, remoteIdentity = false) {
  const ts = testSystem(t);
  const { system } = ts;
  const queueState: FakeQueueState = fakeQueueState();
  const queue = system.spawn(
    fakeQueue(queueState, () => system.clock.now()),
    { name: 'queue' },
  );
  const graph = fakeGraph();
  const hub = new AgentEventHub();
  const events: AgentEvent[] = [];
  hub.subscribe({ path: '/test/viewer', tell: (e) => void events.push(e) });
  // An agent actor is named "<agent id>~<incarnation>": the test identity is what precedes the ~.
  const identify = (ref: Ref<unknown> | undefined): string | undefined => ref?.path.split('/').pop()?.split('~')[0];
  const registry = system.spawn(
    swarmRegistry({ queue, graph, events: hub, ...(remoteIdentity ? {} : { identify }), limits: { heartbeatMs: 1_000, ...limits } }),
    {
      name: 'swarms',
    },
  );
  const dispatcher = (swarm = 'default'): Ref<SwarmMsg> => system.lookup<SwarmMsg>(`/swarms/${swarm}/dispatcher`)!;
  let incarnations = 0;
  const agent = (id: string): Agent => {
    const inbox: AgentInbound[] = [];
    const ref = system.spawn<AgentInbound>(() => ({ receive: (m) => void inbox.push(m) }), { name: `${id}~${++incarnations}` });
    return {
      id,
      ref,
      inbox,
      refusals: () => inbox.filter((m): m is AgentRefusedMsg => m.kind === 'agent-refused'),
      tasks: () => inbox.filter((m): m is TaskAssignedMsg => m.kind === 'task-assigned'),
    };
  };
  const register = async (a: Agent, capabilities: string[], maxConcurrent = 1, swarm = ''): Promise<void> => {
    registry.tell(
      { kind: 'agent-register', agentId: a.id, agentType: 'worker', name: `the ${a.id}`, capabilities, swarm, maxConcurrent, agent: a.ref },
      a.ref,
    );
    await ts.advance(0);
  };
  /** A message from `a` to its swarm's dispatcher, `a` as the sender. */
  const say = async (a: Agent, m: AgentOutbound, swarm = 'default'): Promise<void> => {
    dispatcher(swarm).tell(m, a.ref);
    await ts.advance(0);
  };
  const offer = async (...tasks: ReturnType<typeof task>[]): Promise<void> => {
    queueState.queued.push(...tasks);
    dispatcher().tell({ type: 'work-available', capabilities: [...new Set(tasks.map((x) => x.capability))] });
    await ts.advance(0);
  };
  const complete = (a: Agent, assigned: TaskAssignedMsg, result = 'ok'): TaskCompletedMsg => ({
    kind: 'task-completed',
    taskId: assigned.taskId,
    agentId: a.id,
    attempt: assigned.attempt,
    success: true,
    result,
    durationMs: 1,
  });
  const lost = (): string[] => queueState.received.flatMap((m) => (m.type === 'agent-lost' ? [m.agentId] : []));
  return { ...ts, queueState, graph, events, registry, dispatcher, agent, register, say, offer, complete, lost };
}

test('a registered agent is answered, watched, shown in the graph and announced to the queue and viewers', async (t) => {
  const { agent, register, queueState, graph, events, advance } = setup(t);
  const a = agent('agent-a');
  await register(a, ['summarise'], 2);
  const registered = a.inbox.find((m) => m.kind === 'agent-registered');
  t.truthy(registered);
  if (registered?.kind !== 'agent-registered') return;
  t.is(registered.swarm, 'default');
  t.is(registered.heartbeatMs, 1_000);
  t.deepEqual(registered.holding, []);
  t.true(queueState.received.some((m) => m.type === 'swarm-up' && m.swarm === 'default'));
  t.true(events.length > 0);
  await advance(300);
  const node = nodesWritten(graph).get(registered.nodeId);
  t.is(String(node?.title), 'the agent-a');
  t.like(meta(node), { agent_id: 'agent-a', agent_type: 'worker', status: 'idle', swarm: 'default' });
  t.true(
    graph.applied.every((r) => r.origin.subject === 'agent:agent-a'),
    'the writes name the agent',
  );
});

test('work goes by capability and load, never past an agent maxConcurrent', async (t) => {
  const { agent, register, offer, queueState } = setup(t);
  const a = agent('agent-a');
  const b = agent('agent-b');
  const c = agent('agent-c');
  await register(a, ['x'], 2);
  await register(b, ['y'], 1);
  await register(c, ['x'], 2);
  await offer(task('x1', 'x'), task('x2', 'x'), task('y1', 'y'));
  // Least loaded first: each x agent takes one before either takes a second.
  t.is(a.tasks().length, 1);
  t.is(c.tasks().length, 1);
  t.deepEqual(
    b.tasks().map((m) => m.taskId),
    ['y1'],
  );
  await offer(task('x3', 'x'), task('x4', 'x'), task('x5', 'x'), task('y2', 'y'));
  t.is(a.tasks().length, 2);
  t.is(c.tasks().length, 2);
  t.is(b.tasks().length, 1, 'b holds y1 and has one slot');
  t.deepEqual(queueState.queued.map((x) => x.id).sort(), ['x5', 'y2']);
  t.true(a.tasks().every((m) => m.attempt === 1 && m.deadlineMs > 0 && m.capability === 'x'));
});

test('a finished task frees its slot, and the agent asks for more', async (t) => {
  const { agent, register, offer, say, complete, queueState } = setup(t);
  const a = agent('agent-a');
  await register(a, ['x'], 1);
  await offer(task('x1', 'x'), task('x2', 'x'));
  t.deepEqual(
    a.tasks().map((m) => m.taskId),
    ['x1'],
  );
  await say(a, complete(a, a.tasks()[0]!, 'done x1'));
  t.true(queueState.received.some((m) => m.type === 'completed' && m.taskId === 'x1' && m.result === 'done x1'));
  t.deepEqual(
    a.tasks().map((m) => m.taskId),
    ['x1', 'x2'],
  );
});

test('reports on a task the agent does not hold at that attempt are refused, naming the task', async (t) => {
  const { agent, register, offer, say, complete, queueState } = setup(t);
  const a = agent('agent-a');
  const b = agent('agent-b');
  await register(a, ['x'], 1);
  await register(b, ['x'], 1);
  await offer(task('x1', 'x'));
  const mine = [...a.tasks(), ...b.tasks()][0]!;
  const holder = a.tasks().length === 1 ? a : b;
  const other = holder === a ? b : a;
  await say(holder, { ...complete(holder, mine), attempt: mine.attempt + 1 });
  await say(other, complete(other, mine));
  await say(holder, { kind: 'task-progress', taskId: 'nope', agentId: holder.id, attempt: 1, progress: 0.5, partialResult: '' });
  t.deepEqual(
    holder.refusals().map((r) => [r.code, r.taskId]),
    [
      [ErrorCode.Conflict, mine.taskId],
      [ErrorCode.NotFound, 'nope'],
    ],
  );
  t.deepEqual(
    other.refusals().map((r) => [r.code, r.taskId]),
    [[ErrorCode.NotFound, mine.taskId]],
  );
  t.false(queueState.received.some((m) => m.type === 'completed' || m.type === 'progress'));
});

test('a revoke cancels the task at the agent and frees its slot', async (t) => {
  const { agent, register, offer, dispatcher, advance, queueState } = setup(t);
  const a = agent('agent-a');
  await register(a, ['x'], 1);
  await offer(task('x1', 'x'));
  const assigned = a.tasks()[0]!;
  queueState.queued.push(task('x2', 'x'));
  dispatcher().tell({ type: 'revoke', taskId: 'x1', agentId: 'agent-a', attempt: assigned.attempt, reason: 'cancelled by alice' });
  await advance(0);
  t.deepEqual(
    a.inbox.filter((m) => m.kind === 'task-cancel'),
    [{ kind: 'task-cancel', taskId: 'x1', attempt: 1, reason: 'cancelled by alice' }],
  );
  t.deepEqual(
    a.tasks().map((m) => m.taskId),
    ['x1', 'x2'],
    'the freed slot takes the next task',
  );
});

test('a task taken back for a missed deadline goes to another free agent, not to the one that missed it', async (t) => {
  const { agent, register, offer, dispatcher, advance, queueState } = setup(t);
  const slow = agent('agent-slow');
  const quick = agent('agent-quick');
  await register(slow, ['x'], 1);
  await offer(task('x1', 'x'));
  const first = slow.tasks()[0]!;
  // The quick agent joins while the only task is leased: the queue has no work for it.
  await register(quick, ['x'], 1);
  t.deepEqual(quick.tasks(), []);
  // As the queue does on a deadline: the task back in the queue, then the revoke.
  const held = queueState.leased.get('x1')!;
  queueState.leased.delete('x1');
  queueState.queued.push(held.task);
  dispatcher().tell({ type: 'revoke', taskId: 'x1', agentId: 'agent-slow', attempt: first.attempt, reason: 'deadline missed' });
  await advance(0);
  t.deepEqual(
    quick.tasks().map((m) => [m.taskId, m.attempt]),
    [['x1', 2]],
  );
  t.deepEqual(
    slow.tasks().map((m) => m.taskId),
    ['x1'],
    'the slow agent only ever had the first attempt',
  );
});

test('an agent admitted anew resumes the leases the queue still counts as its own (after a node restart)', async (t) => {
  const { agent, register, say, complete, queueState } = setup(t);
  const a = agent('agent-r');
  // As a queue restored from the store: x1 leased to agent-r at attempt 2 before the node restarted.
  queueState.leased.set('x1', {
    agentId: 'agent-r',
    attempt: 2,
    task: { ...task('x1', 'x'), attempts: 2, agentId: 'agent-r', state: 'running' },
  });
  await register(a, ['x'], 2);
  const registered = a.inbox.find((m) => m.kind === 'agent-registered');
  t.deepEqual(registered?.kind === 'agent-registered' ? registered.holding : undefined, [{ taskId: 'x1', attempt: 2 }]);
  t.deepEqual(a.tasks(), [], 'not assigned again');
  await say(a, complete(a, { kind: 'task-assigned', taskId: 'x1', attempt: 2 } as TaskAssignedMsg, 'resumed'));
  t.true(queueState.received.some((m) => m.type === 'completed' && m.taskId === 'x1' && m.attempt === 2 && m.result === 'resumed'));
  t.deepEqual(a.refusals(), []);
});

test('an agent silent for three heartbeats is lost, and the queue takes its tasks back', async (t) => {
  const { agent, register, offer, say, advance, queueState, lost } = setup(t);
  const a = agent('agent-a');
  const b = agent('agent-b');
  await register(a, ['x'], 1);
  await register(b, ['y'], 1);
  await offer(task('x1', 'x'));
  for (let i = 0; i < 5; i++) {
    await advance(900);
    await say(b, { kind: 'agent-heartbeat', agentId: 'agent-b', cpuPercent: 1, memoryBytes: 1, activeTasks: 0, health: 1, tokenUsage: 0 });
  }
  t.deepEqual(lost(), ['agent-a']);
  t.deepEqual(
    queueState.queued.map((x) => x.id),
    ['x1'],
  );
  await say(a, { kind: 'agent-heartbeat', agentId: 'agent-a', cpuPercent: 1, memoryBytes: 1, activeTasks: 0, health: 1, tokenUsage: 0 });
  t.is(a.refusals().at(-1)?.code, ErrorCode.NotFound, 'a lost agent is told to register again');
});

test('an agent whose actor stops is lost at once', async (t) => {
  const { agent, register, system, advance, lost } = setup(t);
  const a = agent('agent-a');
  await register(a, ['x'], 1);
  await system.stop(a.ref);
  await advance(0);
  t.deepEqual(lost(), ['agent-a']);
});

test('a flooding agent is dropped with a reason; the others carry on', async (t) => {
  const { agent, register, offer, say, complete, queueState, lost } = setup(t, { agentMessagesPerSecond: 5, agentMessageBurst: 5 });
  const a = agent('agent-a');
  const b = agent('agent-b');
  await register(a, ['x'], 1);
  await register(b, ['x'], 1);
  await offer(task('x1', 'x'), task('x2', 'x'));
  for (let i = 0; i < 10; i++) {
    await say(a, { kind: 'agent-heartbeat', agentId: 'agent-a', cpuPercent: 1, memoryBytes: 1, activeTasks: 1, health: 1, tokenUsage: 0 });
  }
  t.deepEqual(lost(), ['agent-a']);
  const dropped = a.refusals().find((r) => r.code === ErrorCode.Overloaded);
  t.regex(dropped?.message ?? '', /dropped: rate limit/);
  await say(b, complete(b, b.tasks()[0]!));
  t.true(queueState.received.some((m) => m.type === 'completed' && m.agentId === 'agent-b'));
  t.is(b.refusals().length, 0);
});

test('a result over the size limit is refused and ends the attempt as a recoverable error', async (t) => {
  const { agent, register, offer, say, complete, queueState } = setup(t, { maxResultBytes: 100 });
  const a = agent('agent-a');
  await register(a, ['x'], 1);
  await offer(task('x1', 'x'));
  await say(a, complete(a, a.tasks()[0]!, 'z'.repeat(200)));
  t.deepEqual(
    a.refusals().map((r) => [r.code, r.taskId]),
    [[ErrorCode.BadMessage, 'x1']],
  );
  const error = queueState.received.find((m) => m.type === 'agent-error');
  t.like(error, { type: 'agent-error', taskId: 'x1', recoverable: true });
  t.false(queueState.received.some((m) => m.type === 'completed'));
});

test('an agent id in use by a live agent is refused to another incarnation', async (t) => {
  const { agent, register } = setup(t);
  const first = agent('agent-a');
  const second = agent('agent-a');
  await register(first, ['x'], 1);
  await register(second, ['x'], 1);
  t.deepEqual(
    second.refusals().map((r) => [r.code, r.message]),
    [[ErrorCode.Conflict, 'agent id in use']],
  );
  await register(first, ['x'], 1);
  t.is(first.inbox.filter((m) => m.kind === 'agent-registered').length, 2, 'the same agent registering again is answered again');
});

test('the registry refuses registrations it cannot take, saying why', async (t) => {
  const { agent, registry, advance, register, system } = setup(t);
  const a = agent('agent-a');
  const b = agent('agent-b');
  // Claims another agent's id: answered at the sender, never at the ref it names.
  registry.tell(
    { kind: 'agent-register', agentId: 'agent-b', agentType: 'w', name: '', capabilities: [], swarm: '', maxConcurrent: 1, agent: b.ref },
    a.ref,
  );
  await advance(0);
  t.is(a.refusals()[0]?.code, ErrorCode.Unauthorized);
  t.is(b.inbox.length, 0);
  registry.tell(
    { kind: 'agent-register', agentId: 'agent-a', agentType: ' ', name: '', capabilities: [], swarm: '', maxConcurrent: 1, agent: a.ref },
    a.ref,
  );
  registry.tell(
    {
      kind: 'agent-register',
      agentId: 'agent-a',
      agentType: 'w',
      name: '',
      capabilities: [],
      swarm: 'no/slash',
      maxConcurrent: 1,
      agent: a.ref,
    },
    a.ref,
  );
  await advance(0);
  t.deepEqual(
    a.refusals().map((r) => r.code),
    [ErrorCode.Unauthorized, ErrorCode.BadMessage, ErrorCode.BadMessage],
  );
  await register(a, ['x'], 1, 'blue');
  t.truthy(system.lookup('/swarms/blue/dispatcher'), 'a swarm starts on first use');
});

test('tasks show in the graph while they run, linked to their agent; one that ends within a tick is never written', async (t) => {
  const { agent, register, offer, say, complete, graph, advance } = setup(t);
  const a = agent('agent-a');
  await register(a, ['x'], 2);
  await advance(300);
  await offer(task('x1', 'x', 'summarise the docs'));
  await advance(300);
  const running = [...nodesWritten(graph).values()].find((n) => String(n.type) === 'task');
  t.is(String(running?.title), 'summarise the docs');
  const agentNode = [...nodesWritten(graph).values()].find((n) => String(n.type) === 'agent');
  t.like(meta(agentNode), { status: 'working', task: 'summarise the docs' });
  await say(a, complete(a, a.tasks()[0]!));
  await advance(300);
  t.falsy(
    [...nodesWritten(graph).values()].find((n) => String(n.type) === 'task'),
    'removed when it ended',
  );
  const writes = graph.applied.length;
  await offer(task('x2', 'x', 'quick one'));
  await say(a, complete(a, a.tasks()[1]!));
  await advance(300);
  const titles = graph.applied
    .slice(writes)
    .flatMap((r) => [...nodesWritten({ ...graph, applied: [r] }).values()].map((n) => String(n.title)));
  t.false(titles.includes('quick one'));
});

test('shared knowledge becomes a Knowledge node by its author, linked to the nodes that exist', async (t) => {
  const { agent, register, say, graph, advance } = setup(t);
  graph.existing.add(7);
  graph.existing.add(9);
  const a = agent('agent-a');
  await register(a, ['x'], 1);
  await say(a, { kind: 'knowledge-share', agentId: 'agent-a', topic: 'graphs', content: 'are nice', nodeIds: [7, 8, 9] });
  await advance(0);
  const write = graph.applied.find((r) => r.mutation.kind === 'batch' && r.origin.subject === 'agent:agent-a');
  t.truthy(write);
  const updates = (write!.mutation as { batch: { updates: { opType: GraphOp; op: { node?: NodeT; edge?: { target: number } } }[] } }).batch
    .updates;
  const node = updates[0]!.op.node!;
  t.is(node.kind, 0);
  t.is(String(node.title), 'graphs');
  t.is(String(node.content), 'are nice');
  t.deepEqual(meta(node), { author: 'agent-a' });
  t.deepEqual(
    updates.slice(1).map((u) => u.op.edge!.target),
    [7, 9],
  );
});

test("an agent's node left by an earlier run is taken over (updated), not duplicated or lost with its batch", async (t) => {
  const { agent, register, graph, advance } = setup(t);
  const a = agent('agent-a');
  const b = agent('agent-b');
  await register(a, ['x'], 1);
  await register(b, ['x'], 1);
  const nodeId = (who: Agent): number => {
    const m = who.inbox.find((x) => x.kind === 'agent-registered');
    return m?.kind === 'agent-registered' ? m.nodeId : -1;
  };
  const old = new NodeT(nodeId(a), NodeKind.Agent, 'agent', 'old', null, null, null, [new KeyValueT('agent_id', 'agent-a')]);
  graph.stored.set(nodeId(a), old);
  await advance(300);
  const kinds = graph.applied.map((r) => (r.mutation.kind === 'batch' ? 'batch' : GraphOp[r.mutation.update.opType]));
  // The batch of both fails on agent-a's old node; each goes again alone, and agent-a's becomes an update.
  t.deepEqual(kinds, ['batch', 'AddNode', 'AddNode', 'UpdateNode']);
  const updated = nodesWritten({ ...graph, applied: graph.applied.slice(-1) }).get(nodeId(a));
  t.like(meta(updated), { agent_id: 'agent-a', status: 'idle' });
});

test('a new incarnation of a remote agent replaces the old one, which is reported lost', async (t) => {
  const { system, registry, advance, lost, queueState } = setup(t, {}, true);
  // A transport for the agent's address that carries nothing and keeps watches open.
  const told: unknown[] = [];
  system.addTransport({ address: 'agent-r', send: (e) => (told.push(e.message), true), watch: () => true });
  const incarnation = (n: number): Ref<AgentInbound> => {
    const ref = system.resolve<AgentInbound>('vf://agent-r/user/agent') as RemoteRef<AgentInbound>;
    ref.incarnation = n;
    return ref;
  };
  const registration = (agent: Ref<AgentInbound>): AgentOutbound => ({
    kind: 'agent-register',
    agentId: 'agent-r',
    agentType: 'w',
    name: '',
    capabilities: ['x'],
    swarm: '',
    maxConcurrent: 1,
    agent,
  });
  const first = incarnation(11);
  registry.tell(registration(first), first);
  await advance(0);
  const second = incarnation(12);
  registry.tell(registration(second), second);
  await advance(0);
  t.deepEqual(lost(), ['agent-r']);
  t.is(told.filter((m) => (m as { kind?: string }).kind === 'agent-registered').length, 2);
  t.false(told.some((m) => (m as { kind?: string }).kind === 'agent-refused'));
  t.is(queueState.received.filter((m) => m.type === 'swarm-up').length, 3, 'the dispatcher start and both registrations');
});
