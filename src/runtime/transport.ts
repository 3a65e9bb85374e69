// The seam for location transparency. A RemoteRef looks like any other ref; its tell hands an
// envelope to the transport registered for the ref's address (other processes over WebSocket:
// src/runtime/remote; a loopback in tests). Transports encode the message (FlatBuffers on the
// wire); the runtime only routes.
import { parsePath } from './path.ts';
import type { Ref } from './ref.ts';

export interface OutboundEnvelope {
  /** Fully qualified: "vf://node-b/app/graph/shard-0". */
  readonly recipient: string;
  /** Fully qualified sender, so the far side can reply; undefined when none was given. */
  readonly sender: string | undefined;
  /** Set when the sender is an ask's temporary ref. */
  readonly correlationId: number | undefined;
  readonly message: unknown;
  /** The ref that was told, when it is a RemoteRef: a transport binds it to an incarnation. */
  readonly target?: RemoteRef<unknown>;
  /** The sender itself, so that a transport that drops the message can fail an ask at once. */
  readonly senderRef?: Ref<unknown>;
}

export interface InboundEnvelope {
  /** Local path on this system ("/app/x") or qualified with this system's address. */
  readonly recipient: string;
  readonly sender: string | undefined;
  readonly message: unknown;
  /** A ref for `sender` made by the transport (bound to the far incarnation); else resolved by path. */
  readonly senderRef?: Ref<unknown>;
}

export type DeliveryResult = 'delivered' | 'recipient-unknown' | 'recipient-stopped' | 'mailbox-full' | 'stash-full' | 'transport-failed';

export interface Transport {
  /** The address of the system(s) this transport reaches. */
  readonly address: string;
  /** Hands the envelope over; false when it cannot be sent (the message then dead-letters). */
  send(envelope: OutboundEnvelope): boolean;
  /**
   * Remote death watch: from now on the transport calls `system.remoteTerminated` when the actor
   * behind `target` stops, or `system.remoteAddressDown` when its system is declared down. False
   * when the target can never be reached again: the watcher then gets its message at once.
   */
  watch?(target: RemoteRef<unknown>): boolean;
  /** The last local watcher of `target` has gone. */
  unwatch?(target: RemoteRef<unknown>): void;
}

/** Maps refs to wire paths and back, for codecs that carry refs inside messages. */
export interface RefResolver {
  /** The qualified path ("vf://node-a/app/x") that reaches `ref` from another system. */
  pathOf(ref: Ref<unknown>): string;
  /** A ref for a qualified or local path; undefined when nothing can reach it. */
  refFor(path: string): Ref<unknown> | undefined;
}

export interface RemoteSender {
  sendRemote(recipient: string, message: unknown, sender: Ref<unknown> | undefined, target?: RemoteRef<unknown>): void;
}

export class RemoteRef<Msg> implements Ref<Msg> {
  /** The far system's address, parsed once: tells route on it. */
  readonly address: string;

  constructor(
    readonly path: string,
    private readonly router: RemoteSender,
    /**
     * The incarnation (process start) of the far system this ref stands for. Undefined until a
     * transport that knows incarnations carries a message for it and binds it to the live one;
     * once bound, a later incarnation at the same address is another actor, and tells dead-letter.
     */
    public incarnation: number | undefined = undefined,
  ) {
    this.address = parsePath(path)?.address ?? '';
  }

  tell(message: Msg, sender?: Ref<unknown>): void {
    this.router.sendRemote(this.path, message, sender, this as RemoteRef<unknown>);
  }

  toString(): string {
    return `RemoteRef(${this.path})`;
  }
}
