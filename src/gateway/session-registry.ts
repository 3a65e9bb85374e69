// Live sessions by id, for resume: a reconnecting client names its session and, if the session is
// still held for it (same token subject, messages since its last seq still in the ring), the new
// socket is handed to it.
import type { Ref } from '../runtime/ref.ts';

export interface SessionEntry<Msg> {
  readonly ref: Ref<Msg>;
  readonly subject: string;
  canResumeFrom(lastSeen: number): boolean;
}

export class SessionRegistry<Msg> {
  private readonly sessions = new Map<string, SessionEntry<Msg>>();

  add(id: string, entry: SessionEntry<Msg>): void {
    this.sessions.set(id, entry);
  }

  get(id: string): SessionEntry<Msg> | undefined {
    return this.sessions.get(id);
  }

  /** Removes `id` if it still belongs to `ref`. */
  remove(id: string, ref: Ref<Msg>): void {
    if (this.sessions.get(id)?.ref === ref) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
