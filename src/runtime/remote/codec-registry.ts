// Which messages may cross a process boundary, and how. An actor module declares its remotable
// messages as codecs: each maps one message kind (the `kind` field every message here has) to one
// table of the Envelope's Payload union, both ways. A message without a codec never leaves the
// process: the tell dead-letters with reason no-codec at the sender, and an ask fails at once
// saying which kind has no codec. Local tells never touch a codec: they stay plain objects.
import type { Builder, ByteBuffer } from 'flatbuffers';
import type { Envelope } from '../../protocol/generated/vf/envelope.ts';
import { Payload } from '../../protocol/generated/vf/payload.ts';
import type { Ref } from '../ref.ts';

/** What a codec may ask of the sending system: the qualified path ("vf://node-a/app/x") of a ref. */
export interface RefWriter {
  pathOf(ref: Ref<unknown>): string;
}

/**
 * What a codec may ask of the receiving system: a ref for a qualified path inside a message.
 * Never undefined: a path nothing here can reach still gives a ref, whose tells dead-letter.
 */
export interface RefReader {
  refFor<Msg>(path: string): Ref<Msg>;
}

/** A generated table accessor (vf.AgentHeartbeat, vf.TaskAssigned, ...). */
export interface PayloadTable {
  __init(i: number, bb: ByteBuffer): unknown;
}

/** A message that may have a codec: an object with a string `kind`. */
export interface KindedMessage {
  readonly kind: string;
}

export interface RemoteCodecSpec<M extends KindedMessage, T extends PayloadTable> {
  readonly kind: M['kind'];
  /** The Payload union member the message travels as. */
  readonly payload: Payload;
  /** The generated accessor class of that member. */
  readonly table: new () => T;
  /** Writes the message's table into `builder` (strings and vectors first) and returns its offset. */
  encode(builder: Builder, message: M, refs: RefWriter): number;
  /**
   * The message back from a verified table. `sender` is the envelope's sender (an ask's reply-to
   * ref, when the message came from an ask). The accessor is reused: read it, do not keep it.
   */
  decode(table: T, refs: RefReader, sender: Ref<unknown> | undefined): M;
}

/** A codec with its types erased, as the registry holds it. */
export interface RemoteCodec {
  readonly kind: string;
  readonly payload: Payload;
  encode(builder: Builder, message: unknown, refs: RefWriter): number;
  decode(envelope: Envelope, refs: RefReader, sender: Ref<unknown> | undefined): unknown;
}

/** Declares one remotable message kind. */
export function remotable<M extends KindedMessage, T extends PayloadTable>(spec: RemoteCodecSpec<M, T>): RemoteCodec {
  const accessor = new spec.table();
  return {
    kind: spec.kind,
    payload: spec.payload,
    encode: (builder, message, refs) => spec.encode(builder, message as M, refs),
    decode: (envelope, refs, sender) => spec.decode(envelope.payload(accessor) as T, refs, sender),
  };
}

export class NoCodecError extends Error {
  readonly code = 'no-codec';
  constructor(readonly kind: string | undefined) {
    super(
      kind === undefined
        ? 'only objects with a string kind can cross a process boundary'
        : `no codec for message kind "${kind}": declare it remotable in its actor module and register it with the transport`,
    );
    this.name = 'NoCodecError';
  }
}

export class CodecRegistry {
  private readonly byKind = new Map<string, RemoteCodec>();
  private readonly byPayload = new Map<Payload, RemoteCodec>();

  constructor(codecs: Iterable<RemoteCodec> = []) {
    for (const codec of codecs) this.register(codec);
  }

  /** Adds a codec; a second codec for the same kind or the same payload table is a programming error. */
  register(codec: RemoteCodec): this {
    if (codec.payload === Payload.NONE || Payload[codec.payload] === undefined)
      throw new RangeError(`codec for "${codec.kind}": ${codec.payload} is not a Payload member`);
    const byKind = this.byKind.get(codec.kind);
    if (byKind !== undefined) throw new Error(`two codecs for message kind "${codec.kind}"`);
    const byPayload = this.byPayload.get(codec.payload);
    if (byPayload !== undefined) {
      throw new Error(
        `codecs for "${byPayload.kind}" and "${codec.kind}" both use ${Payload[codec.payload]}: the receiver could not tell them apart`,
      );
    }
    this.byKind.set(codec.kind, codec);
    this.byPayload.set(codec.payload, codec);
    return this;
  }

  /** Adds every codec of a module's list. */
  registerAll(codecs: Iterable<RemoteCodec>): this {
    for (const codec of codecs) this.register(codec);
    return this;
  }

  /** The codec for an outbound message; throws NoCodecError when there is none. */
  forMessage(message: unknown): RemoteCodec {
    const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
    if (typeof kind !== 'string') throw new NoCodecError(undefined);
    const codec = this.byKind.get(kind);
    if (codec === undefined) throw new NoCodecError(kind);
    return codec;
  }

  /** The codec for an inbound payload type; undefined when this system has none. */
  forPayload(payload: Payload): RemoteCodec | undefined {
    return this.byPayload.get(payload);
  }

  get kinds(): string[] {
    return [...this.byKind.keys()];
  }
}
