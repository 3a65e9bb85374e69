// Envelopes to a RemoteFrame, a batch at a time. A message is encoded when it is told, straight
// into the batch's builder (its size counts against the outbound queue at once, and a message with
// no codec fails at the teller), with each path written once per batch and shared by every
// envelope that names it. The batch keeps what it needs to dead-letter its messages later: the
// message, its recipient, its sender and the ref it was told through.
import type { Builder } from 'flatbuffers';
import { BatchBuilder } from './batch-builder.ts';
import { Envelope } from '../../protocol/generated/vf/envelope.ts';
import { RemoteFrame } from '../../protocol/generated/vf/remote-frame.ts';
import { finishFrame, type SystemMessages } from '../../protocol/remote/frame-builder.ts';
import { addFieldInt64 } from '../../protocol/remote/int64-fields.ts';
import type { Ref } from '../ref.ts';
import type { RemoteRef } from '../transport.ts';
import type { RefWriter, RemoteCodec } from './codec-registry.ts';

/** A finished frame of envelopes, kept until the far system acknowledges its last seq. */
export interface SentBatch {
  readonly bytes: Uint8Array;
  readonly firstSeq: number;
  readonly count: number;
  readonly recipients: readonly string[];
  readonly messages: readonly unknown[];
  // These three are written only as far as the last envelope that has a sender or a correlation
  // id (most tells name neither): an index past their end means undefined, undefined and 0.
  readonly senders: readonly (Ref<unknown> | undefined)[];
  readonly senderPaths: readonly (string | undefined)[];
  readonly correlationIds: readonly number[];
  /** The RemoteRef each message was told through: unbound ones are bound when the batch is sent. */
  readonly targets: readonly (RemoteRef<unknown> | undefined)[];
  /** Set once handed to a socket: a batch never sent can still go to another incarnation. */
  sent: boolean;
}

export class FrameWriter {
  private builder: Builder;
  private offsets: number[] = [];
  // What each envelope of the batch was made from, side by side (no object per message); handed
  // over to the finished batch as they are. senderPaths, correlationIds and senders are kept in
  // step with each other but stop at the last envelope that has any of them.
  private recipients: string[] = [];
  private senderPaths: (string | undefined)[] = [];
  private correlationIds: number[] = [];
  private codecs: RemoteCodec[] = [];
  private messages: unknown[] = [];
  private senders: (Ref<unknown> | undefined)[] = [];
  private targets: (RemoteRef<unknown> | undefined)[] = [];
  private firstSeq = 0;
  // The last recipient and sender paths written and where: a stream to one actor names the same
  // path envelope after envelope, and this spares createSharedString's two map lookups for it.
  private lastRecipient: string | undefined;
  private lastRecipientAt = 0;
  private lastSender: string | undefined;
  private lastSenderAt = 0;

  constructor(private readonly initialBytes: number) {
    this.builder = new BatchBuilder(initialBytes);
  }

  get count(): number {
    return this.recipients.length;
  }

  /** Bytes written so far (envelopes and their paths). */
  get bytes(): number {
    return this.builder.offset();
  }

  /**
   * Encodes one envelope as number `seq` of the stream (consecutive within a batch) and returns its
   * size in bytes. Throws what the codec throws; the batch is then as it was before the call.
   */
  add(
    seq: number,
    recipient: string,
    senderPath: string | undefined,
    correlationId: number,
    codec: RemoteCodec,
    message: unknown,
    refs: RefWriter,
    sender: Ref<unknown> | undefined,
    target: RemoteRef<unknown> | undefined,
  ): number {
    if (this.recipients.length === 0) this.firstSeq = seq;
    const before = this.builder.offset();
    try {
      this.offsets.push(this.write(recipient, senderPath, correlationId, codec, message, refs));
    } catch (error) {
      // The builder may be left inside a half-built table: rebuild the batch without this one.
      this.rebuild(refs);
      throw error;
    }
    if (senderPath !== undefined || correlationId !== 0 || sender !== undefined) {
      const i = this.recipients.length;
      while (this.senders.length < i) {
        this.senderPaths.push(undefined);
        this.correlationIds.push(0);
        this.senders.push(undefined);
      }
      this.senderPaths.push(senderPath);
      this.correlationIds.push(correlationId);
      this.senders.push(sender);
    }
    this.recipients.push(recipient);
    this.codecs.push(codec);
    this.messages.push(message);
    this.targets.push(target);
    // The envelope, its share of vtable and padding, and its slot in the vector.
    return this.builder.offset() - before + 4;
  }

  private write(
    recipientPath: string,
    senderPath: string | undefined,
    correlationId: number,
    codec: RemoteCodec,
    message: unknown,
    refs: RefWriter,
  ): number {
    const b = this.builder;
    const payload = codec.encode(b, message, refs);
    let recipient = this.lastRecipientAt;
    if (recipientPath !== this.lastRecipient) {
      recipient = b.createSharedString(recipientPath);
      this.lastRecipient = recipientPath;
      this.lastRecipientAt = recipient;
    }
    let sender = 0;
    if (senderPath !== undefined) {
      sender = this.lastSenderAt;
      if (senderPath !== this.lastSender) {
        sender = b.createSharedString(senderPath);
        this.lastSender = senderPath;
        this.lastSenderAt = sender;
      }
    }
    Envelope.startEnvelope(b);
    // correlation_id (field 2) without BigInt: the bytes Envelope.addCorrelationId writes.
    addFieldInt64(b, 2, correlationId);
    if (sender !== 0) Envelope.addSender(b, sender);
    Envelope.addRecipient(b, recipient);
    Envelope.addPayloadType(b, codec.payload);
    Envelope.addPayload(b, payload);
    return Envelope.endEnvelope(b);
  }

  /** Takes the last envelope out again (it made the batch too big for a frame). */
  removeLast(refs: RefWriter): void {
    this.recipients.pop();
    this.codecs.pop();
    this.messages.pop();
    this.targets.pop();
    if (this.senders.length > this.recipients.length) {
      this.senderPaths.pop();
      this.correlationIds.pop();
      this.senders.pop();
    }
    this.rebuild(refs);
  }

  private rebuild(refs: RefWriter): void {
    this.builder = new BatchBuilder(this.initialBytes);
    this.forgetPaths();
    this.offsets = [];
    for (let i = 0; i < this.recipients.length; i++) {
      this.offsets.push(
        this.write(this.recipients[i]!, this.senderPaths[i], this.correlationIds[i] ?? 0, this.codecs[i]!, this.messages[i], refs),
      );
    }
  }

  /** A new or cleared builder holds no path yet. */
  private forgetPaths(): void {
    this.lastRecipient = undefined;
    this.lastSender = undefined;
  }

  /** The batch as a frame carrying `ack` and `system`, and a fresh batch to write the next into. */
  finish(ack: number, system: SystemMessages | undefined): SentBatch {
    const b = this.builder;
    const count = this.recipients.length;
    const envelopes = count === 0 ? 0 : RemoteFrame.createEnvelopesVector(b, this.offsets);
    const bytes = finishFrame(b, ack, count === 0 ? 0 : this.firstSeq, envelopes, system);
    const batch: SentBatch = {
      bytes,
      firstSeq: this.firstSeq,
      count,
      recipients: this.recipients,
      messages: this.messages,
      senders: this.senders,
      senderPaths: this.senderPaths,
      correlationIds: this.correlationIds,
      targets: this.targets,
      sent: false,
    };
    b.clear();
    this.forgetPaths();
    this.offsets = [];
    this.recipients = [];
    this.senderPaths = [];
    this.correlationIds = [];
    this.codecs = [];
    this.messages = [];
    this.senders = [];
    this.targets = [];
    return batch;
  }
}
