// Process lifecycle around an actor system: SIGTERM/SIGINT stop the tree in order (children before
// parents, reverse start order) and exit 0; a failure that reaches the root exits 1; a second
// signal while stopping exits at once (130), for a user who really means it.
//
// The handlers go in before anything else starts (`onTermination`, the first thing `npm start`
// does; signals that came even earlier, while the modules loaded, were held by hold-signals.mjs
// and are handled now), so a signal that comes while the store opens or the tree boots is not
// Node's default (death by signal, 143, the PGlite lock left behind): the step under way
// finishes, what was started is stopped in reverse order, and the process exits 0.
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

/** What start-up tells the handlers as it goes, and asks them. */
export interface Termination {
  /** True once a signal has asked the process to stop. */
  readonly requested: boolean;
  /** Resolves with the signal's name when one comes. */
  readonly whenRequested: Promise<string>;
  /** Runs when the process stops, after the tree has (newest first): close the store, say. */
  onStop(cleanup: () => Promise<void>): void;
  /**
   * The tree is up: a signal now (or one that came meanwhile) stops it, then the cleanups run and
   * the process exits (1 when a failure reached the root, else 0).
   */
  attach(system: ActorSystem): void;
  /** Start-up gives up: the cleanups run and the process exits with `code`. */
  exit(code: number): Promise<never>;
}

/** Installs the signal handlers now, before start-up does anything that needs stopping. */
export function onTermination(onSignal?: (signal: string) => void): Termination {
  const cleanups: (() => Promise<void>)[] = [];
  let system: ActorSystem | undefined;
  let requested = false;
  let exiting = false;
  let heard!: (signal: string) => void;
  const whenRequested = new Promise<string>((resolve) => (heard = resolve));
  const keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);

  const exit = async (code: number): Promise<never> => {
    if (!exiting) {
      exiting = true;
      let status = code;
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (error) {
          process.stderr.write(`cleanup after stop failed: ${String(error)}\n`);
          status = Math.max(status, 1);
        }
      }
      clearInterval(keepAlive);
      // Let pending log writes flush before leaving; a caller that set process.exitCode keeps it.
      setImmediate(() => process.exit(Math.max(status, Number(process.exitCode ?? 0))));
    }
    return new Promise<never>(() => undefined);
  };

  const signal = (name: NodeJS.Signals): void => {
    if (requested) process.exit(130);
    requested = true;
    onSignal?.(name);
    heard(name);
    // Still starting: the step under way finishes, sees `requested` and stops what it started.
    if (system !== undefined) void system.terminate();
  };
  process.on('SIGTERM', signal);
  process.on('SIGINT', signal);
  const holder = (globalThis as { [key: symbol]: { release(): NodeJS.Signals[] } | undefined })[Symbol.for('visionflow.held-signals')];
  for (const held of holder?.release() ?? []) signal(held);

  return {
    get requested() {
      return requested;
    },
    whenRequested,
    onStop(cleanup) {
      cleanups.push(cleanup);
    },
    attach(s) {
      system = s;
      void s.whenTerminated.then((t) => exit(t.failed ? 1 : 0));
      if (requested) void s.terminate();
    },
    exit,
  };
}

/** For a process whose tree is already up: the same handlers, attached at once. */
export function exitOnTermination(system: ActorSystem, options: ExitOptions = {}): void {
  const termination = onTermination(options.onSignal);
  if (options.afterStop !== undefined) termination.onStop(options.afterStop);
  termination.attach(system);
}
