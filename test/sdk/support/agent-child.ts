// Starts test/fixtures/agent-process.ts as a child, collects what it reports, and kills it by pid
// when the test ends.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { AgentProcessConfig } from '../../fixtures/agent-process.ts';
import { pollUntil } from '../../helpers/poll.ts';

const SCRIPT = fileURLToPath(new URL('../../fixtures/agent-process.ts', import.meta.url));

export interface ChildMessage {
  readonly event?: string;
  readonly [key: string]: unknown;
}

export interface AgentChild {
  readonly child: ChildProcess;
  readonly messages: ChildMessage[];
  readonly exited: Promise<number | null>;
  send(command: { release?: string; close?: boolean }): void;
  waitFor(what: string, match: (m: ChildMessage) => boolean, limitMs?: number): Promise<ChildMessage>;
  output(): string;
}

export function startAgentChild(t: ExecutionContext, config: AgentProcessConfig): AgentChild {
  const child = fork(SCRIPT, [JSON.stringify(config)], { execArgv: ['--import=tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const messages: ChildMessage[] = [];
  child.on('message', (m: ChildMessage) => {
    if (messages.length < 100_000) messages.push(m);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  return {
    child,
    messages,
    exited,
    send: (command) => void child.send(command),
    waitFor: (what, match, limitMs = 40_000) =>
      pollUntil(
        () => {
          if (child.exitCode !== null && !messages.some(match))
            throw new Error(`${what}: the agent exited (${child.exitCode}):\n${output}`);
          return messages.find(match);
        },
        { limitMs, everyMs: 10, what },
      ),
    output: () => output,
  };
}
