// Process lifecycle around an actor system: SIGTERM/SIGINT stop the tree in order (children before
// parents, reverse start order) and exit 0; a failure that reaches the root exits 1; a second
// signal while stopping exits at once (130), for a user who really means it.
//
// The runtime's timers are unref'd (RealClock), so a system whose only pending work is a restart
// waiting out its backoff would let Node leave with exit code 0 before the failure is decided. A
// ref'd keep-alive holds the process open until the system has terminated.
import type { ActorSystem } from '../runtime/system.ts';

const KEEP_ALIVE_MS = 2 ** 30;

export interface ExitOptions {
  readonly onSignal?: (signal: string) => void;
  /** Runs after the tree has stopped, before the process exits (close the store, flush logs). */
  readonly afterStop?: () => Promise<void>;
}

export function exitOnTermination(system: ActorSystem, options: ExitOptions = {}): void {
  const { onSignal, afterStop } = options;
  let signalled = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(130);
    signalled = true;
    onSignal?.(signal);
    void system.terminate();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);
  void system.whenTerminated.then(async (t) => {
    let code = t.failed ? 1 : 0;
    try {
      await afterStop?.();
    } catch (error) {
      process.stderr.write(`cleanup after stop failed: ${String(error)}\n`);
      code = 1;
    }
    clearInterval(keepAlive);
    // Let pending log writes flush before leaving.
    // A caller that set process.exitCode (a failed start-up) keeps it.
    setImmediate(() => process.exit(Math.max(code, Number(process.exitCode ?? 0))));
  });
}
