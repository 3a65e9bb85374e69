// What /readyz answers: whether each subsystem can serve now, with the reasons when one cannot.
// A subsystem is `serving`, `degraded` (it serves, but not all of it: a graph shard restarting, say)
// or `down` (it cannot serve: the store unreachable, no physics engine running). The node is ready
// (200) when none is down and the tree is up; otherwise 503. The body is the same JSON either way.
// /healthz is liveness only (the process answers HTTP) and looks at none of this.

export type SubsystemState = 'serving' | 'degraded' | 'down';

export interface SubsystemReadiness {
  readonly state: SubsystemState;
  /** Why it is degraded or down, one sentence each; empty when serving. */
  readonly reasons: readonly string[];
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly subsystems: Readonly<Record<string, SubsystemReadiness>>;
}

/** Asks each subsystem how it is; the node's wiring provides the checks (node-readiness.ts). */
export type ReadinessProbe = () => Promise<ReadinessReport>;

export function serving(): SubsystemReadiness {
  return { state: 'serving', reasons: [] };
}

export function subsystem(state: SubsystemState, reasons: readonly string[]): SubsystemReadiness {
  return { state, reasons };
}

/** The report for these subsystems: ready when none is down and `treeUp`. */
export function report(treeUp: boolean, subsystems: Readonly<Record<string, SubsystemReadiness>>): ReadinessReport {
  const all = treeUp ? subsystems : { ...subsystems, tree: subsystem('down', ['the supervision tree or the HTTP server is not up yet']) };
  return { ready: Object.values(all).every((s) => s.state !== 'down'), subsystems: all };
}

/**
 * Resolves with `check`'s answer, or `fallback` after `ms` (`error` undefined) or when it fails: a
 * subsystem that does not answer is reported, never waited on.
 */
export function within<T>(ms: number, check: Promise<T>, fallback: (error: unknown) => T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback(undefined)), ms);
    check.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve(fallback(error));
      },
    );
  });
}
