// The benchmarks' child processes: wait for the one message that says a child is ready (it may carry
// what the child has to say, a port say), and stop a child with SIGTERM, then SIGKILL after a grace.
import type { ChildProcess } from 'node:child_process';

/** The child's first IPC message with `ready: true`; rejects when it exits first or after `ms`. */
export function readyOf<T>(child: ChildProcess, what: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} process ${child.pid}: not ready within ${ms} ms`)), ms);
    child.once('exit', (code) => reject(new Error(`${what} process exited (${code}) before it was ready`)));
    child.on('message', (m: { ready?: boolean } & T) => {
      if (m.ready !== true) return;
      clearTimeout(timer);
      resolve(m);
    });
  });
}

/** SIGTERM, and SIGKILL when the child has not exited within `graceMs`; resolves once it has. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
