// A CLI as a real process for the tests: `node --import=tsx <script>` from the repository root,
// stdout and stderr gathered together, killed at teardown if still running.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `nodeArgs`: Node's own flags (what `npm start` adds to them, for one). */
export function run(
  t: ExecutionContext,
  script: string,
  env: Record<string, string> = {},
  args: readonly string[] = [],
  nodeArgs: readonly string[] = ['--import=tsx'],
): Run {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => out, exited };
}

export async function waitForOutput(r: Run, pattern: RegExp, limitMs = 60_000): Promise<RegExpExecArray> {
  const start = Date.now();
  for (;;) {
    const match = pattern.exec(r.output());
    if (match !== null) return match;
    if (r.child.exitCode !== null) throw new Error(`process exited (${r.child.exitCode}) before printing ${pattern}:\n${r.output()}`);
    if (Date.now() - start > limitMs) throw new Error(`no ${pattern} within ${limitMs} ms:\n${r.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** SIGTERM, and the exit, within `limitMs` (else SIGKILL and a rejection). */
export async function stop(r: Run, limitMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  r.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      r.child.kill('SIGKILL');
      reject(new Error(`no exit within ${limitMs} ms of SIGTERM:\n${r.output()}`));
    }, limitMs);
  });
  try {
    return await Promise.race([r.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}
