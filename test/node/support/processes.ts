// Real processes for the end-to-end tests of the agents' pipeline: a node (test/fixtures/node-process.ts)
// and SDK agents (test/fixtures/sdk-agent.ts), each printing JSON lines that the test reads, each
// killed by its pid when the test ends; and the node's REST task API.
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { TokenAuthority } from '../../../src/auth/token.ts';
import { pollUntil } from '../../helpers/poll.ts';

export const NODE_SCRIPT = fileURLToPath(new URL('../../fixtures/node-process.ts', import.meta.url));
export const AGENT_SCRIPT = fileURLToPath(new URL('../../fixtures/sdk-agent.ts', import.meta.url));
export const KEY = Buffer.alloc(32, 9);
export const TOKENS = new TokenAuthority(KEY);

export type Line = Record<string, unknown>;

export interface Proc {
  readonly label: string;
  readonly child: ChildProcess;
  readonly lines: Line[];
  /** The first line (from `from` on) that `match` accepts, within `limitMs`. */
  waitFor(match: (l: Line) => boolean, what: string, limitMs?: number, from?: number): Promise<Line>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  kill9(): Promise<void>;
}

/** Forks `script` with one JSON argument; killed (SIGKILL, by pid) when the test ends. */
export function spawnProc(t: ExecutionContext, label: string, script: string, args: unknown): Proc {
  const child = fork(script, [JSON.stringify(args)], { execArgv: ['--import=tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const lines: Line[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        lines.push(JSON.parse(text) as Line);
      } catch {
        t.log(`${label} (not JSON): ${text}`);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => t.log(`${label}: ${chunk.toString('utf8').trim().slice(0, 2000)}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  t.teardown(async () => {
    if (alive()) child.kill('SIGKILL');
    await exited;
  });
  return {
    label,
    child,
    lines,
    exited,
    waitFor: (match, what, limitMs = 90_000, from = 0) =>
      pollUntil(() => lines.slice(from).find(match), { limitMs, everyMs: 25, what: `${label}: ${what}` }),
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A port free on 127.0.0.1 now, for a node that must come back on the same one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface NodeArgs {
  readonly name: string;
  readonly port: number;
  readonly dataDir?: string;
  readonly databaseUrl?: string;
}

/** Starts a node process and waits until it listens. */
export async function startNode(t: ExecutionContext, a: NodeArgs, label = a.name): Promise<Proc> {
  const proc = spawnProc(t, label, NODE_SCRIPT, {
    ...a,
    keyHex: KEY.toString('hex'),
    remote: { heartbeatMs: 200, downAfterMs: 3_000 },
    swarms: { heartbeatMs: 1_000, leaseTimeoutMs: 5_000, graphFlushMs: 50 },
  });
  await proc.waitFor((l) => l.event === 'listening', 'listening', 120_000);
  return proc;
}

export interface AgentArgs {
  readonly capabilities?: readonly string[];
  readonly workMs?: number;
  readonly maxConcurrent?: number;
  readonly ignoreAbort?: boolean;
}

/** Starts an SDK agent process with a fresh token for `id` and waits until it registered. */
export async function startAgent(t: ExecutionContext, port: number, id: string, a: AgentArgs = {}): Promise<Proc> {
  const token = TOKENS.mint({ sub: id, role: 'agent', ttlSeconds: 3_600 });
  const proc = spawnProc(t, id, AGENT_SCRIPT, { url: `http://127.0.0.1:${port}`, token, ...a });
  await proc.waitFor((l) => l.event === 'ready', 'ready', 120_000);
  return proc;
}

export const EDITOR = TOKENS.mint({ sub: 'ed', role: 'editor', ttlSeconds: 3_600 });
export const ADMIN = TOKENS.mint({ sub: 'ops', role: 'admin', ttlSeconds: 3_600 });

export interface Reply {
  readonly status: number;
  readonly body: string;
}

export function http(port: number, path: string, token: string, method = 'GET', body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    request(`http://127.0.0.1:${port}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    })
      .on('error', reject)
      .end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export interface TaskJson {
  readonly id: string;
  readonly parentId?: string;
  readonly state: string;
  readonly attempts: number;
  readonly agentId?: string;
  readonly result?: string;
  readonly errors: readonly string[];
  readonly subtasks: readonly string[];
  readonly recipe?: string;
}

/** POST /api/tasks; the task when the node answered 201, else undefined (with the reply logged). */
export async function submitTask(t: ExecutionContext, port: number, body: Record<string, unknown>): Promise<TaskJson | undefined> {
  const reply = await http(port, '/api/tasks', EDITOR, 'POST', body);
  if (reply.status === 201) return JSON.parse(reply.body) as TaskJson;
  t.log(`submit answered ${reply.status}: ${reply.body}`);
  return undefined;
}

/** Every task the node lists (at most 1000). */
export async function listTasks(port: number): Promise<TaskJson[]> {
  const reply = await http(port, '/api/tasks?limit=1000', EDITOR);
  if (reply.status !== 200) throw new Error(`GET /api/tasks answered ${reply.status}: ${reply.body}`);
  return (JSON.parse(reply.body) as { tasks: TaskJson[] }).tasks;
}

/** Waits until every task in `ids` is final on the node; returns them by id. */
export async function allFinal(port: number, ids: readonly string[], limitMs = 120_000): Promise<Map<string, TaskJson>> {
  return pollUntil(
    async () => {
      const tasks = await listTasks(port).catch(() => []);
      const byId = new Map(tasks.map((task) => [task.id, task]));
      const open = ids.filter((id) => !['done', 'failed', 'cancelled'].includes(byId.get(id)?.state ?? ''));
      return open.length === 0 && byId;
    },
    { limitMs, everyMs: 250, what: `${ids.length} tasks final` },
  );
}

/** For each task id, every TaskCompleted the agents sent for it, as `agent#attempt`. */
export function completionsOf(agents: readonly Proc[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const agent of agents) {
    for (const l of agent.lines) {
      if (l.event !== 'task-ended' || l.outcome !== 'completed') continue;
      const id = String(l.taskId);
      by.set(id, [...(by.get(id) ?? []), `${agent.label}#${String(l.attempt)}`]);
    }
  }
  return by;
}
