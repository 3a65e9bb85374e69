// Death watch across processes, on the watching system's side: which local actors watch which
// remote refs, and the message each one wants. The transport is asked to watch a target once,
// however many local watchers it has, and reports when that actor stopped or its whole system was
// declared down; every watcher then gets its message with the target as sender, as locally.
import type { ActorCell } from './cell.ts';
import type { RemoteRef, Transport } from './transport.ts';

interface Watched {
  readonly ref: RemoteRef<unknown>;
  readonly watchers: Map<ActorCell<unknown>, unknown>;
}

export class RemoteWatchTable {
  /** By the target's qualified path. */
  private readonly targets = new Map<string, Watched>();
  private readonly byWatcher = new Map<ActorCell<unknown>, Set<string>>();

  constructor(private readonly transportFor: (address: string) => Transport | undefined) {}

  /** Number of remote targets watched, for metrics and tests. */
  get size(): number {
    return this.targets.size;
  }

  /** Throws when no transport for the target's address can watch: a programming error, as a bad local watch is. */
  watch(watcher: ActorCell<unknown>, target: RemoteRef<unknown>, message: unknown): void {
    const transport = this.transportFor(target.address);
    if (transport?.watch === undefined) {
      throw new Error(`death watch on ${target.path}: no transport for ${target.address} that supports remote watch`);
    }
    const existing = this.targets.get(target.path);
    if (existing !== undefined) {
      existing.watchers.set(watcher, message);
      this.remember(watcher, target.path);
      return;
    }
    const entry: Watched = { ref: target, watchers: new Map([[watcher, message]]) };
    this.targets.set(target.path, entry);
    this.remember(watcher, target.path);
    // False: that incarnation is gone for good, so the watcher hears of it at once.
    if (!transport.watch(target)) this.terminated(target.path);
  }

  unwatch(watcher: ActorCell<unknown>, target: RemoteRef<unknown>): void {
    this.drop(watcher, target.path);
    this.byWatcher.get(watcher)?.delete(target.path);
  }

  /** A local watcher stopped: it watches nothing any more. */
  watcherStopped(watcher: ActorCell<unknown>): void {
    const paths = this.byWatcher.get(watcher);
    if (paths === undefined) return;
    this.byWatcher.delete(watcher);
    for (const path of paths) this.drop(watcher, path);
  }

  /** The actor at `path` stopped (or can no longer be reached): each watcher gets its message. */
  terminated(path: string): void {
    const entry = this.targets.get(path);
    if (entry === undefined) return;
    this.targets.delete(path);
    for (const [watcher, message] of entry.watchers) {
      this.byWatcher.get(watcher)?.delete(path);
      watcher.tell(message, entry.ref);
    }
  }

  /** Every actor watched at `address` is gone: its system was declared down. */
  addressDown(address: string): void {
    for (const [path, entry] of [...this.targets]) if (entry.ref.address === address) this.terminated(path);
  }

  private remember(watcher: ActorCell<unknown>, path: string): void {
    let paths = this.byWatcher.get(watcher);
    if (paths === undefined) {
      paths = new Set();
      this.byWatcher.set(watcher, paths);
    }
    paths.add(path);
  }

  private drop(watcher: ActorCell<unknown>, path: string): void {
    const entry = this.targets.get(path);
    if (entry === undefined || !entry.watchers.delete(watcher)) return;
    if (entry.watchers.size > 0) return;
    this.targets.delete(path);
    this.transportFor(entry.ref.address)?.unwatch?.(entry.ref);
  }
}
