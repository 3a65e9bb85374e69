// Live sessions by id, for resume: a reconnecting client names its session and, if the session is
// still held for it (same token subject, messages since its last seq still in the ring), the new
// socket is handed to it.
import type { Recipient } from '../shared/recipient.ts';

export interface SessionEntry<Msg> {
  readonly ref: Recipient<Msg>;
  readonly subject: string;
  canResumeFrom(lastSeen: number): boolean;
}

export class SessionRegistry<Msg> {
  private readonly sessions = new Map<string, SessionEntry<Msg>>();
  /** Sessions whose socket dropped and that wait for a resume, oldest first. */
  private readonly detached = new Map<string, Recipient<Msg>>();

  add(id: string, entry: SessionEntry<Msg>): void {
    this.sessions.set(id, entry);
  }

  get(id: string): SessionEntry<Msg> | undefined {
    return this.sessions.get(id);
  }

  /** Removes `id` if it still belongs to `ref`. */
  remove(id: string, ref: Recipient<Msg>): void {
    if (this.sessions.get(id)?.ref !== ref) return;
    this.sessions.delete(id);
    this.detached.delete(id);
  }

  /** `id` lost its socket and waits for a resume. */
  detach(id: string, ref: Recipient<Msg>): void {
    this.detached.delete(id);
    this.detached.set(id, ref);
  }

  /** `id` has a socket again. */
  attach(id: string): void {
    this.detached.delete(id);
  }

  /** The session that has waited longest for a resume, taken off the waiting list; undefined if none waits. */
  takeOldestDetached(): Recipient<Msg> | undefined {
    for (const [id, ref] of this.detached) {
      this.detached.delete(id);
      return ref;
    }
    return undefined;
  }

  get size(): number {
    return this.sessions.size;
  }

  get detachedCount(): number {
    return this.detached.size;
  }
}
