// Runs agent messages through their codecs and the protocol's verifier, as a transport would: the
// codec's table inside an Envelope, the bytes verified by decodeEnvelope, the codec's decode.
import { Builder } from 'flatbuffers';
import { decodeEnvelope, PROTOCOL_VERSION } from '../../src/protocol/envelope/codec.ts';
import { Envelope } from '../../src/protocol/generated/vf/envelope.ts';
import type { Payload } from '../../src/protocol/generated/vf/payload.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import type { RefReader, RemoteCodec } from '../../src/runtime/remote/codec-registry.ts';

export function fakeRef<Msg>(path: string): Ref<Msg> {
  return { path, tell: () => undefined };
}

export const refReader: RefReader = { refFor: <Msg>(path: string) => fakeRef<Msg>(path) };

/** An envelope around a payload table written by `write`. */
export function envelopeBytes(payload: Payload, write: (b: Builder) => number, sender?: string): Uint8Array {
  const b = new Builder(256);
  const table = write(b);
  const recipient = b.createString('/app/agents/swarms');
  const senderAt = sender === undefined ? 0 : b.createString(sender);
  Envelope.startEnvelope(b);
  Envelope.addVersion(b, PROTOCOL_VERSION);
  if (senderAt !== 0) Envelope.addSender(b, senderAt);
  Envelope.addRecipient(b, recipient);
  Envelope.addPayloadType(b, payload);
  Envelope.addPayload(b, table);
  b.finish(Envelope.endEnvelope(b), 'VFEN');
  return b.asUint8Array().slice();
}

/** Verifies `bytes` and decodes them with `codec`; a string when the verifier refuses them. */
export function verifiedDecode(codec: RemoteCodec, bytes: Uint8Array, sender?: Ref<unknown>): unknown {
  const env = decodeEnvelope(bytes);
  if (!env.ok) return `refused: ${env.error.code}`;
  return codec.decode(env.value, refReader, sender);
}

/** Encodes `message` with `codec` and decodes it back through the verifier. */
export function roundTrip(codec: RemoteCodec, message: unknown, sender?: Ref<unknown>): unknown {
  const bytes = envelopeBytes(codec.payload, (b) => codec.encode(b, message, { pathOf: (r) => r.path }), sender?.path);
  return verifiedDecode(codec, bytes, sender);
}
