// Child processes running test/fixtures/remote-peer.ts for the remote tests: started with a
// config, driven over IPC with bounded waits, and killed by pid when the test ends.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { PeerCommand, PeerConfig } from '../../../fixtures/remote-peer.ts';
import { pollUntil } from '../../../helpers/poll.ts';

const SCRIPT = fileURLToPath(new URL('../../../fixtures/remote-peer.ts', import.meta.url));

/** One secret for every node of a test run. */
export const SECRET = randomBytes(32);
export const SECRET_HEX = SECRET.toString('hex');

/**
 * Timings short enough for tests, long enough for a loaded 2-core machine: a handshake with a
 * process that has just started may take seconds there, and is not given up on for that, and a
 * process starved of CPU for a few seconds is not declared down for that.
 */
export const FAST_LIMITS = { heartbeatMs: 100, downAfterMs: 10_000, reconnectMinMs: 50, reconnectMaxMs: 500, handshakeTimeoutMs: 20_000 };

/** The failure detector's bound in the tests that wait for it to declare a system down. */
export const SHORT_BOUND_MS = 1_500;

export interface TerminatedEvent {
  readonly target: string;
  readonly sender: string | undefined;
  readonly at: number;
  /** Beats the peer's sinks had counted when it arrived. */
  readonly sinkTotal: number;
}

export interface Peer {
  readonly name: string;
  readonly url: string;
  readonly incarnation: number;
  readonly child: ChildProcess;
  readonly terminated: TerminatedEvent[];
  readonly exited: Promise<void>;
  call<T extends object = Record<string, unknown>>(command: PeerCommand, limitMs?: number): Promise<T & { ok: boolean; error?: string }>;
  /** call, failing on an error answer. */
  must<T extends object = Record<string, unknown>>(command: PeerCommand, limitMs?: number): Promise<T>;
  signal(signal: NodeJS.Signals): void;
}

export async function startPeer(
  t: ExecutionContext,
  config: Omit<PeerConfig, 'secret'> & { secret?: string | null },
  limitMs = 60_000,
): Promise<Peer> {
  const { secret, ...rest } = config;
  const full: PeerConfig = secret === null ? rest : { ...rest, secret: secret ?? SECRET_HEX };
  const child = fork(SCRIPT, [JSON.stringify(full)], { execArgv: ['--import=tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });
  const pending = new Map<number, (m: Record<string, unknown>) => void>();
  const terminated: TerminatedEvent[] = [];
  let nextId = 1;
  const ready = new Promise<{ url: string; incarnation: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`peer ${config.name} not ready within ${limitMs} ms:\n${output}`)), limitMs);
    child.once('exit', (code, sig) => reject(new Error(`peer ${config.name} exited (${code ?? sig}) before it was ready:\n${output}`)));
    child.on('message', (m: Record<string, unknown>) => {
      if (m.ready === true) {
        clearTimeout(timer);
        resolve({ url: m.url as string, incarnation: m.incarnation as number });
      } else if (m.event === 'terminated') terminated.push(m as unknown as TerminatedEvent);
      else if (typeof m.id === 'number') pending.get(m.id)?.(m);
    });
  });
  const { url, incarnation } = await ready;
  const call = <T extends object>(command: PeerCommand, callLimitMs = 15_000): Promise<T & { ok: boolean; error?: string }> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`peer ${config.name}: no answer to ${command.op} within ${callLimitMs} ms; its output:\n${output.slice(-4000)}`));
      }, callLimitMs);
      pending.set(id, (m) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(m as T & { ok: boolean; error?: string });
      });
      child.send({ id, ...command });
    });
  return {
    name: config.name,
    url,
    incarnation,
    child,
    terminated,
    exited,
    call,
    async must<T extends object>(command: PeerCommand, callLimitMs?: number): Promise<T> {
      const answer = await call<T>(command, callLimitMs);
      if (!answer.ok) throw new Error(`peer ${config.name}: ${command.op} failed: ${answer.error}`);
      return answer;
    },
    signal: (s) => void child.kill(s),
  };
}

/** Polls `condition` every 10 ms until it gives a value; fails after `limitMs`. */
export function eventually<T>(condition: () => Promise<T | undefined> | T | undefined, limitMs: number, what: string): Promise<T> {
  return pollUntil(condition, { limitMs, everyMs: 10, what });
}
