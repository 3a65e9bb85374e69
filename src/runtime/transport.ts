// The seam for location transparency. A RemoteRef looks like any other ref; its tell hands an
// envelope to the transport registered for the ref's address (agents over WebSocket, cluster nodes
// over Redis, a loopback in tests). Transports encode the message (FlatBuffers on the wire); the
// runtime only routes.
import type { Ref } from './ref.ts';

export interface OutboundEnvelope {
  /** Fully qualified: "vf://node-b/app/graph/shard-0". */
  readonly recipient: string;
  /** Fully qualified sender, so the far side can reply; undefined when none was given. */
  readonly sender: string | undefined;
  /** Set when the sender is an ask's temporary ref. */
  readonly correlationId: number | undefined;
  readonly message: unknown;
}

export interface InboundEnvelope {
  /** Local path on this system ("/app/x") or qualified with this system's address. */
  readonly recipient: string;
  readonly sender: string | undefined;
  readonly message: unknown;
}

export type DeliveryResult = 'delivered' | 'recipient-unknown' | 'recipient-stopped' | 'mailbox-full' | 'stash-full' | 'transport-failed';

export interface Transport {
  /** The address of the system(s) this transport reaches. */
  readonly address: string;
  /** Hands the envelope over; false when it cannot be sent (the message then dead-letters). */
  send(envelope: OutboundEnvelope): boolean;
}

/** Maps refs to wire paths and back, for codecs that carry refs inside messages. */
export interface RefResolver {
  /** The qualified path ("vf://node-a/app/x") that reaches `ref` from another system. */
  pathOf(ref: Ref<unknown>): string;
  /** A ref for a qualified or local path; undefined when nothing can reach it. */
  refFor(path: string): Ref<unknown> | undefined;
}

export interface RemoteSender {
  sendRemote(recipient: string, message: unknown, sender: Ref<unknown> | undefined): void;
}

export class RemoteRef<Msg> implements Ref<Msg> {
  constructor(
    readonly path: string,
    private readonly router: RemoteSender,
  ) {}

  tell(message: Msg, sender?: Ref<unknown>): void {
    this.router.sendRemote(this.path, message, sender);
  }

  toString(): string {
    return `RemoteRef(${this.path})`;
  }
}
