// Every agent message survives its codec and the verifier unchanged; refs travel as the sender;
// encoding refuses what the receiver's verifier would refuse.
import test from 'ava';
import { AGENT_CODECS, agentCodecRegistry } from '../../src/agent-protocol/codecs.ts';
import type {
  AgentErrorMsg,
  AgentHeartbeatMsg,
  AgentRefusedMsg,
  AgentRegisteredMsg,
  AgentRegisterMsg,
  CollaborationRequestMsg,
  KnowledgeShareMsg,
  TaskAssignedMsg,
  TaskCancelMsg,
  TaskCompletedMsg,
  TaskProgressMsg,
} from '../../src/agent-protocol/messages.ts';
import { parseHolding } from '../../src/agent-protocol/holding.ts';
import type { RemoteCodec } from '../../src/runtime/remote/codec-registry.ts';
import { fakeRef, roundTrip } from './wire.ts';

const registry = agentCodecRegistry();
const codec = (kind: string): RemoteCodec => registry.forMessage({ kind });
const agentRef = fakeRef<never>('vf://linker-1/user/agent');
const swarmRef = fakeRef<never>('vf://node-1/app/agents/swarm-default');

test('the registry holds one codec for every agent message kind', (t) => {
  t.deepEqual([...registry.kinds].sort(), [
    'agent-error',
    'agent-heartbeat',
    'agent-refused',
    'agent-register',
    'agent-registered',
    'collaboration-request',
    'knowledge-share',
    'task-assigned',
    'task-cancel',
    'task-completed',
    'task-progress',
  ]);
  t.is(AGENT_CODECS.length, 11);
});

test('agent-register round-trips; its agent ref is the envelope sender', (t) => {
  const m: AgentRegisterMsg = {
    kind: 'agent-register',
    agentId: 'linker-1',
    agentType: 'linker',
    name: 'Linker one ✓',
    capabilities: ['link', 'summarise'],
    swarm: 'default',
    maxConcurrent: 4,
    agent: agentRef,
  };
  const back = roundTrip(codec('agent-register'), m, agentRef) as AgentRegisterMsg;
  t.deepEqual({ ...back, agent: back.agent.path }, { ...m, agent: agentRef.path });
});

test('agent-register without a sender gets a ref nothing lives at; max_concurrent 0 counts as 1', (t) => {
  const m: AgentRegisterMsg = {
    kind: 'agent-register',
    agentId: 'a',
    agentType: 't',
    name: '',
    capabilities: [],
    swarm: '',
    maxConcurrent: 0,
    agent: agentRef,
  };
  const back = roundTrip(codec('agent-register'), m) as AgentRegisterMsg;
  t.is(back.maxConcurrent, 1);
  t.is(back.agent.path, '/deadLetters/no-sender');
});

test('agent-registered round-trips with holding entries; its swarm ref is the sender', (t) => {
  const m: AgentRegisteredMsg = {
    kind: 'agent-registered',
    agentId: 'linker-1',
    swarm: 'default',
    nodeId: 4_000_000_000,
    heartbeatMs: 5000,
    holding: [
      { taskId: 't-1', attempt: 1 },
      { taskId: 'with:colon', attempt: 7 },
    ],
    swarmRef,
  };
  const back = roundTrip(codec('agent-registered'), m, swarmRef) as AgentRegisteredMsg;
  t.deepEqual({ ...back, swarmRef: back.swarmRef.path }, { ...m, swarmRef: swarmRef.path });
});

test('holding entries that are not "id:attempt" are skipped', (t) => {
  for (const bad of ['', ':1', 'x', 'x:', 'x:-1', 'x:1.5', 'x:99999999999']) t.is(parseHolding(bad), undefined, bad);
  t.deepEqual(parseHolding('a:b:3'), { taskId: 'a:b', attempt: 3 });
});

test('agent-refused round-trips through ErrorReply, with and without a task id', (t) => {
  const a: AgentRefusedMsg = { kind: 'agent-refused', code: 2, message: 'token subject is not linker-1' };
  t.deepEqual(roundTrip(codec('agent-refused'), a), a);
  const b: AgentRefusedMsg = { kind: 'agent-refused', code: 4, message: 'attempt 2 is not current', taskId: 't-9' };
  t.deepEqual(roundTrip(codec('agent-refused'), b), b);
  const long = roundTrip(codec('agent-refused'), { ...a, message: 'é'.repeat(5000) }) as AgentRefusedMsg;
  t.true(Buffer.byteLength(long.message) <= 4096, 'a long refusal is cut to fit, not refused');
  t.throws(() => roundTrip(codec('agent-refused'), { ...a, code: 999 }), { instanceOf: RangeError });
});

test('agent-heartbeat round-trips, u64 fields as Numbers; telemetry is clamped', (t) => {
  const m: AgentHeartbeatMsg = {
    kind: 'agent-heartbeat',
    agentId: 'linker-1',
    cpuPercent: 12.5,
    memoryBytes: 2 ** 40 + 3,
    activeTasks: 2,
    health: 0.75,
    tokenUsage: Number.MAX_SAFE_INTEGER,
  };
  t.deepEqual(roundTrip(codec('agent-heartbeat'), m), m);
  const clamped = roundTrip(codec('agent-heartbeat'), { ...m, cpuPercent: 1e9, health: Number.NaN }) as AgentHeartbeatMsg;
  t.is(clamped.cpuPercent, 100000);
  t.is(clamped.health, 0);
  t.throws(() => roundTrip(codec('agent-heartbeat'), { ...m, memoryBytes: -1 }), { instanceOf: RangeError });
});

test('task-assigned round-trips every field', (t) => {
  const m: TaskAssignedMsg = {
    kind: 'task-assigned',
    taskId: 't-1',
    agentId: 'linker-1',
    parentTaskId: 't-0',
    description: 'link the pages',
    capability: 'link',
    input: JSON.stringify({ pages: [1, 2, 3] }),
    priority: 200,
    deadlineMs: 1_780_000_000_000,
    attempt: 3,
  };
  t.deepEqual(roundTrip(codec('task-assigned'), m), m);
  const empty: TaskAssignedMsg = {
    ...m,
    parentTaskId: '',
    description: '',
    capability: '',
    input: '',
    priority: 0,
    deadlineMs: 0,
    attempt: 0,
  };
  t.deepEqual(roundTrip(codec('task-assigned'), empty), empty);
  t.throws(() => roundTrip(codec('task-assigned'), { ...m, priority: 256 }), { instanceOf: RangeError });
  t.throws(() => roundTrip(codec('task-assigned'), { ...m, taskId: 'x'.repeat(257) }), { instanceOf: RangeError });
});

test('task-progress, task-completed, agent-error and task-cancel round-trip', (t) => {
  const progress: TaskProgressMsg = {
    kind: 'task-progress',
    taskId: 't',
    agentId: 'a',
    attempt: 1,
    progress: 0.5,
    partialResult: '{"n":1}',
  };
  t.deepEqual(roundTrip(codec('task-progress'), progress), progress);
  t.is((roundTrip(codec('task-progress'), { ...progress, progress: 7 }) as TaskProgressMsg).progress, 1);
  const completed: TaskCompletedMsg = {
    kind: 'task-completed',
    taskId: 't',
    agentId: 'a',
    attempt: 2,
    success: true,
    result: 'ü'.repeat(1000),
    durationMs: 12.25,
  };
  t.deepEqual(roundTrip(codec('task-completed'), completed), completed);
  t.throws(() => roundTrip(codec('task-completed'), { ...completed, durationMs: -1 }), { instanceOf: RangeError });
  t.throws(() => roundTrip(codec('task-completed'), { ...completed, result: 'é'.repeat(600_000) }), { instanceOf: RangeError });
  const error: AgentErrorMsg = { kind: 'agent-error', agentId: 'a', taskId: 't', attempt: 2, message: 'boom', recoverable: true };
  t.deepEqual(roundTrip(codec('agent-error'), error), error);
  const cancel: TaskCancelMsg = { kind: 'task-cancel', taskId: 't', attempt: 2, reason: 'deadline' };
  t.deepEqual(roundTrip(codec('task-cancel'), cancel), cancel);
});

test('collaboration-request and knowledge-share round-trip', (t) => {
  const collab: CollaborationRequestMsg = {
    kind: 'collaboration-request',
    fromAgent: 'a',
    toAgents: ['b', 'c'],
    taskId: 't',
    message: 'help?',
  };
  t.deepEqual(roundTrip(codec('collaboration-request'), collab), collab);
  const share: KnowledgeShareMsg = {
    kind: 'knowledge-share',
    agentId: 'a',
    topic: 'Unlinked mentions in Alpha',
    content: 'Alpha mentions Beta',
    nodeIds: [1, 2, 0xffffffff],
  };
  t.deepEqual(roundTrip(codec('knowledge-share'), share), share);
  t.throws(() => roundTrip(codec('knowledge-share'), { ...share, nodeIds: [-1] }), { instanceOf: RangeError });
});
