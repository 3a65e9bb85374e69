// Process lifecycle around an actor system: SIGTERM/SIGINT stop the tree in order (children before
// parents, reverse start order) and exit 0; a failure that reaches the root exits 1; a second
// signal while stopping exits at once (130), for a user who really means it.
import type { ActorSystem } from '../runtime/system.ts';

export function exitOnTermination(system: ActorSystem, onSignal?: (signal: string) => void): void {
  let signalled = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(130);
    signalled = true;
    onSignal?.(signal);
    void system.terminate();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  void system.whenTerminated.then((t) => {
    // Let pending log writes flush before leaving.
    setImmediate(() => process.exit(t.failed ? 1 : 0));
  });
}
