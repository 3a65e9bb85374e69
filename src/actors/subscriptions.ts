// Subscribers of an actor's stream, kept outside its incarnations: a restart (a supervision
// decision the subscribers never hear of) must not silently cut them off. Bounded; a subscriber
// that lives in this system is death-watched by every incarnation, so one that stops is dropped
// rather than left to fill the dead letters.
import type { ActorContext } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';

export class Subscriptions<Entry extends { readonly ref: Ref<never> }> {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  values(): IterableIterator<Entry> {
    return this.entries.values();
  }

  /**
   * Adds (or updates) a subscriber and watches it; false when full (a new one is refused, one
   * already in is updated).
   */
  add<Msg>(ctx: ActorContext<Msg>, entry: Entry, gone: Msg): boolean {
    const path = entry.ref.path;
    if (!this.entries.has(path) && this.entries.size >= this.capacity) return false;
    if (!this.entries.has(path)) watchLocal(ctx, entry.ref, gone);
    this.entries.set(path, entry);
    return true;
  }

  get(path: string): Entry | undefined {
    return this.entries.get(path);
  }

  /** Drops the subscriber with this ref's path (a ref, or just its path). */
  delete(target: { readonly path: string }): boolean {
    return this.entries.delete(target.path);
  }

  /** A fresh incarnation watches every subscriber again (watches die with the old one). */
  rewatch<Msg>(ctx: ActorContext<Msg>, gone: (ref: Entry['ref']) => Msg): void {
    for (const e of this.entries.values()) watchLocal(ctx, e.ref, gone(e.ref));
  }
}

function watchLocal<Msg>(ctx: ActorContext<Msg>, ref: Ref<never>, gone: Msg): void {
  try {
    // A local subscriber that already stopped is answered at once: the runtime tells `gone`.
    ctx.watch(ref, gone);
  } catch {
    // A remote ref cannot be death-watched here; it stays until it unsubscribes.
  }
}
