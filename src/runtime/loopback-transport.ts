// Two actor systems in one process joined as if over a network: every message is encoded to bytes
// by a codec and decoded on the far side, asynchronously, so tests exercise exactly the path a
// remote ref takes. In-flight envelopes are bounded; beyond the bound a send fails (dead letter).
import type { ActorSystem } from './system.ts';
import type { OutboundEnvelope, RefResolver, Transport } from './transport.ts';

/**
 * Turns messages into bytes and back. Refs inside a message travel as qualified paths: `refs`
 * gives the path of a ref on the sending side and a ref for a path on the receiving side.
 */
export interface MessageCodec {
  encode(message: unknown, refs: RefResolver): Uint8Array;
  decode(bytes: Uint8Array, refs: RefResolver): unknown;
}

export interface LoopbackLink {
  /** Stops delivery both ways, as a network partition would. */
  cut(): void;
  readonly delivered: number;
}

export function connectLoopback(a: ActorSystem, b: ActorSystem, codec: MessageCodec, maxInFlight = 100_000): LoopbackLink {
  let open = true;
  let inFlight = 0;
  let delivered = 0;
  const towards = (from: ActorSystem, to: ActorSystem): Transport => ({
    address: to.name,
    send(envelope: OutboundEnvelope): boolean {
      if (!open || inFlight >= maxInFlight) return false;
      const bytes = codec.encode(envelope.message, from.refs);
      inFlight++;
      setImmediate(() => {
        inFlight--;
        if (!open) {
          const sender = envelope.sender === undefined ? undefined : from.refs.refFor(envelope.sender);
          from.deadLetter(envelope.recipient, envelope.message, sender, 'transport-failed');
          return;
        }
        delivered++;
        to.receiveRemote({ recipient: envelope.recipient, sender: envelope.sender, message: codec.decode(bytes, to.refs) });
      });
      return true;
    },
  });
  a.addTransport(towards(a, b));
  b.addTransport(towards(b, a));
  return {
    cut: () => {
      open = false;
    },
    get delivered() {
      return delivered;
    },
  };
}
