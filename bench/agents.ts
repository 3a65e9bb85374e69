// `npm run bench -- agents [--quick]`: agents doing no work behind VisionFlow's durable task queue,
// against BullMQ on Redis (bench/agents-bullmq.ts) with as many worker processes, in one run.
//
// VisionFlow: a node (bench/agents-node-load.ts, bootNode in a child process) on a throwaway
// PostgreSQL database, N agent processes (bench/agents-agent-load.ts: one SDK agent each, taking
// CONCURRENCY tasks at once and completing each at once), and this process as the producer: one
// WebSocket session that submits tasks (TaskSubmit, at most SUBMIT_WINDOW unanswered: the
// session's own cap on requests in flight) and watches every task change (Subscribe Tasks).
//
//   throughput  a fixed number of tasks, from the first submit to the last Done seen by the
//               producer, through submit -> lease -> assign -> complete, each step committed
//   latency     an open-loop stream at half that throughput; each task from just before its submit
//               to its Done seen by the producer: p50 and p99
//   memory      the node's RSS and heap (after a full GC) with IDLE_AGENTS more agents connected
//               and registered, minus before, over IDLE_AGENTS (after WARM_AGENTS connected and
//               registered first, so that one-off costs of the first association are not counted)
//
// BullMQ runs with the same worker processes, each taking CONCURRENCY jobs at once. The node's
// per-agent message rate limit (200/s by default, which a no-work agent passes at once) is raised:
// it guards against a bad agent, and BullMQ has none. Every database, queue and process made here
// is dropped or stopped at the end.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import WebSocket from 'ws';
import { TokenAuthority } from '../src/auth/token.ts';
import {
  encodeEnvelope,
  HandshakeT,
  Payload,
  SubscribeT,
  TaskState,
  TaskSubmitT,
  Topic,
  unpackEnvelope,
  type ErrorReplyT,
  type PayloadT,
  type TaskStatusT,
} from '../src/protocol/index.ts';
import type { AgentLoadArgs } from './agents-agent-load.ts';
import { bullmqFigures, bullmqVersion } from './agents-bullmq.ts';
import type { NodeLoadArgs, NodeLoadReply, NodeMemory } from './agents-node-load.ts';
import { percentile, queueFigureRows, SUITE, type QueueFigures } from './agents-queue-figures.ts';
import { figure, progress, report, type Figure } from './report.ts';
import type { BenchOptions } from './run.ts';
import { readyOf, stopChild } from './child-process.ts';

const NODE = fileURLToPath(new URL('./agents-node-load.ts', import.meta.url));
const AGENT = fileURLToPath(new URL('./agents-agent-load.ts', import.meta.url));
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const KEY = randomBytes(32);
const CAPABILITY = 'bench';
/** Tasks each agent (and each BullMQ worker) takes at once. */
const CONCURRENCY = 4;
/**
 * Submitting sessions, submits each may have unanswered (the session's own cap is 64:
 * session-tasks.ts), and the pace each keeps under the gateway's 200 messages a second per
 * connection: SESSIONS x SESSION_WINDOW (768) tasks in flight at most, as BullMQ's benchmark adds
 * 1,000 at once, and at most SESSIONS x SESSION_RATE (4,560) submits a second.
 */
const SESSIONS = 24;
const SESSION_WINDOW = 32;
const SESSION_RATE = 190;
const SESSION_BURST = 350;
const WARM_AGENTS = 10;
const DEADLINE_MS = 180_000;
const SWARMS = { agentMessagesPerSecond: 1_000_000, agentMessageBurst: 1_000_000 } as const;

interface Sizes {
  readonly tasks: number;
  readonly latencyTasks: number;
  readonly maxLatencyRunMs: number;
  readonly idleAgents: number;
}

const FULL: Sizes = { tasks: 20_000, latencyTasks: 10_000, maxLatencyRunMs: 20_000, idleAgents: 200 };
const QUICK: Sizes = { tasks: 2_000, latencyTasks: 1_000, maxLatencyRunMs: 5_000, idleAgents: 40 };

type StoreKind = 'postgres' | 'pglite';

export async function run(options: BenchOptions): Promise<void> {
  const sizes = options.quick ? QUICK : FULL;
  const loadBefore = loadText();
  progress(`agents: load before ${loadBefore}`);
  // While tuning: 'vf' skips BullMQ, 'vf4' runs only VisionFlow on PostgreSQL with 4 agents.
  const only = process.env.VF_BENCH_AGENTS_ONLY;
  if (only === 'mem') {
    const m = await memoryPerAgent(sizes.idleAgents);
    report(`agents: node memory alone (load before ${loadBefore}, after ${loadText()})`, [
      figure(SUITE, 'node memory per connected idle agent, RSS', m.rssPerAgent / 1024, 'KB'),
      figure(SUITE, 'node memory per connected idle agent, heap', m.heapPerAgent / 1024, 'KB'),
    ]);
    return;
  }
  if (only === 'vf4') {
    const f = await oneSetting('postgres', 4, sizes);
    report(`agents: VisionFlow alone, 4 agents (load before ${loadBefore}, after ${loadText()})`, queueFigureRows(f, undefined));
    return;
  }
  const figures: Figure[] = [];
  const ours: QueueFigures[] = [];
  for (const agents of [4, 8]) ours.push(await oneSetting('postgres', agents, sizes));
  const pglite = await oneSetting('pglite', 4, sizes);
  const memory = await memoryPerAgent(sizes.idleAgents);
  const peers = only === 'vf' ? [] : await bullmqFigures({ quick: options.quick, concurrency: CONCURRENCY });
  for (const f of ours)
    figures.push(
      ...queueFigureRows(
        f,
        peers.find((p) => p.workers === f.workers),
      ),
    );
  figures.push(
    ...queueFigureRows(
      pglite,
      peers.find((p) => p.workers === pglite.workers),
    ).map((f) => ({ ...f, metric: `${f.metric}, PGlite` })),
  );
  const target = { name: 'target', value: 100 };
  figures.push(
    figure(SUITE, 'node memory per connected idle agent, RSS', memory.rssPerAgent / 1024, 'KB', target),
    figure(SUITE, 'node memory per connected idle agent, heap', memory.heapPerAgent / 1024, 'KB', target),
  );
  const [startLoad] = loadBefore.split(' ');
  const [endLoad] = loadText().split(' ');
  figures.push(
    figure(SUITE, 'host load average (1 min) at start', Number(startLoad), 'load'),
    figure(SUITE, 'host load average (1 min) at end', Number(endLoad), 'load'),
  );
  for (const f of [...ours, pglite, ...peers])
    progress(`${f.system}, ${f.workers} x ${f.concurrency}: latency run at ${f.latencyRatePerSec.toFixed(0)}/s, ${f.latencyJobs} tasks`);
  report(
    `agents: VisionFlow (PostgreSQL; PGlite) vs BullMQ ${bullmqVersion()} on Redis, ${CONCURRENCY} tasks at once per agent/worker (load before ${loadBefore}, after ${loadText()})`,
    figures,
  );
}

function loadText(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

// ---- one node -----------------------------------------------------------------------------------------

interface NodeHandle {
  readonly name: string;
  readonly port: number;
  memory(): Promise<NodeMemory>;
  stop(): Promise<void>;
}

/** A node on a fresh store of `kind`: a throwaway PostgreSQL database or a PGlite folder, gone after stop(). */
async function startNode(kind: StoreKind): Promise<NodeHandle> {
  const name = `vf-bench-agents-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  let env: NodeJS.ProcessEnv;
  let drop: () => Promise<void>;
  if (kind === 'postgres') {
    const db = await throwawayDb();
    env = { ...process.env, DATABASE_URL: db.url };
    drop = db.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'vf-bench-agents-'));
    env = { ...process.env, DATABASE_URL: '', VF_DATA_DIR: dir };
    drop = async () => rmSync(dir, { recursive: true, force: true });
  }
  const args: NodeLoadArgs = { name, key: KEY.toString('hex'), swarms: SWARMS };
  const child = fork(NODE, [JSON.stringify(args)], {
    env,
    execArgv: [
      '--import=tsx',
      '--expose-gc',
      ...(process.env.VF_BENCH_NODE_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.VF_BENCH_NODE_PROF}`]),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await readyOf<{ port: number }>(child, 'node', 120_000);
    return {
      name,
      port: ready.port,
      memory: () =>
        new Promise((resolve) => {
          const on = (m: NodeLoadReply): void => {
            if (!('mem' in m)) return;
            child.off('message', on);
            resolve(m.mem);
          };
          child.on('message', on);
          child.send({ mem: true });
        }),
      stop: async () => {
        await stopChild(child);
        await drop();
      },
    };
  } catch (error) {
    await stopChild(child);
    await drop();
    throw error;
  }
}

async function throwawayDb(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `vf_bench_agents_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: PG_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** One agent process with one agent per token, all registered when it resolves. */
function startAgents(node: NodeHandle, ids: readonly string[]): Promise<ChildProcess> {
  const tokens = new TokenAuthority(KEY);
  const args: AgentLoadArgs = {
    node: node.name,
    url: `ws://127.0.0.1:${node.port}/remote`,
    tokens: ids.map((sub) => tokens.mint({ sub, role: 'agent', ttlSeconds: 3_600 })),
    capability: CAPABILITY,
    maxConcurrent: CONCURRENCY,
  };
  const child = fork(AGENT, [JSON.stringify(args)], { execArgv: ['--import=tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return readyOf(child, 'agents', 120_000).then(
    () => child,
    async (error: unknown) => {
      await stopChild(child);
      throw error;
    },
  );
}

// ---- the producer ---------------------------------------------------------------------------------------

/**
 * One editor session on the node's /ws. The gateway takes at most 200 messages a second from one
 * connection (burst 400: gateway/limits.ts), so a session paces its own submits under that.
 */
class Session {
  private seq = 1;
  private readonly answers = new Map<number, { resolve: (taskId: string) => void; reject: (e: Error) => void }>();
  private accepted: (() => void) | undefined;
  private tokens = SESSION_BURST;
  private refilledAt = performance.now();

  private constructor(
    private readonly ws: WebSocket,
    private readonly onDone: ((taskId: string, atMs: number) => void) | undefined,
  ) {
    ws.on('message', (data: Buffer) => this.receive(data));
  }

  static async open(node: NodeHandle, name: string, onDone?: (taskId: string, atMs: number) => void): Promise<Session> {
    const ws = new WebSocket(`ws://127.0.0.1:${node.port}/ws`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const s = new Session(ws, onDone);
    const token = new TokenAuthority(KEY).mint({ sub: name, role: 'editor', ttlSeconds: 3_600 });
    const accepted = new Promise<void>((resolve) => (s.accepted = resolve));
    s.send(new HandshakeT(token, 0, 0n, name, null));
    await accepted;
    if (onDone !== undefined) s.send(new SubscribeT(Topic.Tasks, false, 0, null));
    return s;
  }

  close(): void {
    this.ws.terminate();
  }

  /** Submits one task once the session's pace allows; resolves with its id once the queue has it. */
  async submit(i: number): Promise<string> {
    await this.slot();
    const seq = this.send(new TaskSubmitT(`bench ${i}`, null, CAPABILITY, '', null, 0, 0, 0));
    return new Promise((resolve, reject) => this.answers.set(seq, { resolve, reject }));
  }

  /** A token of the session's own bucket, waited for when there is none. */
  private async slot(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(SESSION_BURST, this.tokens + ((now - this.refilledAt) * SESSION_RATE) / 1000);
      this.refilledAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(((1 - this.tokens) * 1000) / SESSION_RATE)));
    }
  }

  private send(payload: PayloadT): number {
    const seq = this.seq++;
    this.ws.send(encodeEnvelope({ seq, payload }));
    return seq;
  }

  private receive(data: Buffer): void {
    const now = performance.now();
    const r = unpackEnvelope(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (!r.ok) return;
    const env = r.value;
    const correlation = Number(env.correlationId);
    switch (env.payloadType) {
      case Payload.HandshakeAccepted:
        this.accepted?.();
        return;
      case Payload.TaskStatus: {
        const status = env.payload as TaskStatusT;
        if (correlation !== 0) {
          const answer = this.answers.get(correlation);
          this.answers.delete(correlation);
          answer?.resolve(String(status.taskId));
        } else if (status.state === TaskState.Done) this.onDone?.(String(status.taskId), now);
        return;
      }
      case Payload.ErrorReply: {
        const answer = this.answers.get(correlation);
        this.answers.delete(correlation);
        const message = String((env.payload as ErrorReplyT).message);
        if (answer !== undefined) answer.reject(new Error(`TaskSubmit refused: ${message}`));
        else progress(`agents: error from the node: ${message}`);
        return;
      }
      default:
        return;
    }
  }
}

/** SESSIONS submitting sessions, and one more that watches Topic.Tasks for the Done of each task. */
class Producer {
  /** Done seen before anyone waited for it (a Done can beat its submit's answer). */
  private readonly doneAt = new Map<string, number>();
  private readonly doneWaiters = new Map<string, (atMs: number) => void>();
  private sessions: Session[] = [];
  private next = 0;

  static async open(node: NodeHandle): Promise<Producer> {
    const p = new Producer();
    p.sessions.push(await Session.open(node, 'bench-watcher', (taskId, at) => p.seen(taskId, at)));
    const submitters = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => Session.open(node, `bench-producer-${i}`)));
    p.sessions.push(...submitters);
    return p;
  }

  close(): void {
    for (const s of this.sessions) s.close();
  }

  /** The submitting sessions, for a loop per session. */
  get submitters(): readonly Session[] {
    return this.sessions.slice(1);
  }

  /** Submits on the next session in turn. */
  submit(i: number): Promise<string> {
    const s = this.submitters[this.next++ % SESSIONS]!;
    return s.submit(i);
  }

  /** When the producer saw the Done of `taskId`. */
  done(taskId: string): Promise<number> {
    const at = this.doneAt.get(taskId);
    if (at !== undefined) {
      this.doneAt.delete(taskId);
      return Promise.resolve(at);
    }
    return new Promise((resolve) => this.doneWaiters.set(taskId, resolve));
  }

  private seen(taskId: string, atMs: number): void {
    const waiter = this.doneWaiters.get(taskId);
    if (waiter === undefined) {
      this.doneAt.set(taskId, atMs);
      return;
    }
    this.doneWaiters.delete(taskId);
    waiter(atMs);
  }
}

// ---- the figures -----------------------------------------------------------------------------------------

async function oneSetting(kind: StoreKind, agents: number, sizes: Sizes): Promise<QueueFigures> {
  const node = await startNode(kind);
  const children: ChildProcess[] = [];
  let producer: Producer | undefined;
  try {
    for (let i = 0; i < agents; i++) children.push(await startAgents(node, [`agent-${i}`]));
    producer = await Producer.open(node);
    progress(`vf ${kind}: ${agents} agents ready on ${node.name}`);
    // A short warm-up: the first tasks pay for JIT and the store's first statements.
    await throughput(producer, Math.min(500, sizes.tasks / 4));
    const throughputPerSec = await throughput(producer, sizes.tasks);
    progress(`vf ${kind}: ${agents} agents: ${throughputPerSec.toFixed(0)} tasks/s`);
    const rate = throughputPerSec / 2;
    const latencyJobs = Math.max(100, Math.min(sizes.latencyTasks, Math.floor((rate * sizes.maxLatencyRunMs) / 1000)));
    const latencies = await latency(producer, latencyJobs, rate);
    return {
      system: `visionflow ${kind}`,
      workers: agents,
      concurrency: CONCURRENCY,
      jobs: sizes.tasks,
      throughputPerSec,
      latencyRatePerSec: rate,
      latencyJobs,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
    };
  } finally {
    producer?.close();
    await Promise.all(children.map(stopChild));
    await node.stop();
  }
}

/**
 * `tasks` submitted over all the sessions, each with at most SESSION_WINDOW unanswered; tasks per
 * second from the first submit to the last Done.
 */
async function throughput(producer: Producer, tasks: number): Promise<number> {
  const done: Promise<number>[] = [];
  const start = performance.now();
  let next = 0;
  const loop = async (session: Session): Promise<void> => {
    while (next < tasks) {
      const i = next++;
      const taskId = await session.submit(i);
      done.push(producer.done(taskId));
    }
  };
  await Promise.all(producer.submitters.flatMap((s) => Array.from({ length: SESSION_WINDOW }, () => loop(s))));
  const last = Math.max(...(await withDeadline(Promise.all(done), DEADLINE_MS, `${tasks} completions`)));
  return (tasks * 1000) / (last - start);
}

/** Latency of each of `tasks` tasks submitted at `ratePerSec`, open loop. */
async function latency(producer: Producer, tasks: number, ratePerSec: number): Promise<number[]> {
  const intervalMs = 1000 / ratePerSec;
  const start = performance.now();
  const samples: Promise<number>[] = [];
  for (let i = 0; i < tasks; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const submitted = performance.now();
    samples.push(producer.submit(i).then(async (taskId) => (await producer.done(taskId)) - submitted));
  }
  return withDeadline(Promise.all(samples), DEADLINE_MS, `${tasks} latency samples`);
}

interface MemoryFigures {
  readonly agents: number;
  readonly rssPerAgent: number;
  readonly heapPerAgent: number;
}

/** The node's memory with `idle` more agents connected and idle, per agent (4 agent processes). */
async function memoryPerAgent(idle: number): Promise<MemoryFigures> {
  const node = await startNode('postgres');
  const children: ChildProcess[] = [];
  try {
    children.push(await startAgents(node, ids('warm', WARM_AGENTS)));
    // The boot's garbage (migrations, the first JIT, the warm agents' handshakes) leaves RSS over
    // a few seconds as the heap shrinks and the allocator trims: the baseline waits for that.
    await settle(BASELINE_SETTLE_MS);
    await node.memory();
    await settle();
    const before = await node.memory();
    const perProcess = Math.ceil(idle / 4);
    const all = ids('idle', idle);
    const started = [];
    for (let from = 0; from < idle; from += perProcess) started.push(startAgents(node, all.slice(from, from + perProcess)));
    children.push(...(await Promise.all(started)));
    await settle();
    const after = await node.memory();
    progress(
      `vf: node memory ${mib(before.rss)} -> ${mib(after.rss)} RSS, ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} heap, ${idle} agents`,
    );
    return { agents: idle, rssPerAgent: (after.rss - before.rss) / idle, heapPerAgent: (after.heapUsed - before.heapUsed) / idle };
  } finally {
    await Promise.all(children.map(stopChild));
    await node.stop();
  }
}

/** Lets registrations' graph writes and first heartbeats land before memory is read. */
const settle = (ms = 3_000): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const BASELINE_SETTLE_MS = 10_000;
const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${randomUUID().slice(0, 8)}-${i}`);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`agents: ${what} not seen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
