// Everything between this system and one other: the Transport the runtime routes that address to.
//
// Outbound, each message told is encoded at once into the current batch (remote-limits.ts says when
// a batch is sent) and numbered: seq 1, 2, 3... for as long as the two incarnations stay
// associated. A sent batch is kept until the far end acknowledges its last seq (every frame it
// sends carries the highest seq it received), so the outbound queue is everything not yet
// acknowledged, bounded in messages and bytes. When the connection drops, the association lives
// on: the dialing end reconnects with backoff, the handshake says what each end received, and the
// batches not received are sent again, in order, before any newer one. Only when the far system is
// declared down (failure-detector.ts) is anything given up: what was not acknowledged dead-letters
// as transport-failed, the actors watched there are Terminated, and that incarnation is quarantined.
//
// Inbound, a frame is verified whole, then every envelope in it checked against what this peer may
// do (its sender must be on its own system; agents and clients may only reach some paths), and
// only then is anything delivered: a frame with one bad envelope is refused whole, and the socket
// closed with the reason.
//
// System messages (watch, unwatch, terminated) never wait behind user batches: they go out in frames
// of their own as soon as the code that caused them returns, ahead of batches held back by a full
// socket. They are not kept for resending: after each handshake both ends send their whole watch
// list (rewatch), and a watch of an actor that no longer exists is answered with terminated, which
// heals whatever a lost connection dropped.
import type { Clock, TimerHandle } from '../../shared/clock.ts';
import type { DeadLetterReason } from '../dead-letter.ts';
import { parsePath, qualify } from '../path.ts';
import { pathRef } from '../path-ref.ts';
import type { Ref } from '../ref.ts';
import type { ActorSystem } from '../system.ts';
import { TEMP_PREFIX } from '../ask.ts';
import type { OutboundEnvelope, RemoteRef, Transport } from '../transport.ts';
import { Envelope } from '../../protocol/generated/vf/envelope.ts';
import { Payload } from '../../protocol/generated/vf/payload.ts';
import type { RemoteFrame } from '../../protocol/generated/vf/remote-frame.ts';
import { RemoteCloseCode } from './close-codes.ts';
import { NoCodecError, type CodecRegistry, type RefReader } from './codec-registry.ts';
import { FailureDetector } from './failure-detector.ts';
import { controlFrame, type SystemMessages } from '../../protocol/remote/frame-builder.ts';
import { readFrame, recipientAt, safeU64, senderAt, stringFrom } from '../../protocol/remote/frame-reader.ts';
import type { PeerKind } from '../../protocol/remote/handshake-frames.ts';
import { FrameWriter, type SentBatch } from './frame-writer.ts';
import type { PeerSocket, SocketOwner } from './peer-socket.ts';
import { reconnectDelay } from './reconnect-backoff.ts';
import type { RemoteEvent } from './remote-events.ts';
import type { RemoteLimits } from './remote-limits.ts';
import { TokenBucket } from '../../shared/token-bucket.ts';

/** Close codes with which a peer refuses what it was sent (rather than losing the connection). */
const REFUSED_BY_PEER = new Set<number>([
  RemoteCloseCode.UnsupportedData,
  RemoteCloseCode.InvalidPayload,
  RemoteCloseCode.PolicyViolation,
  RemoteCloseCode.TooBig,
]);
/** How long an acknowledgement waits for something to ride on before it goes on its own. */
const ACK_DELAY_MS = 10;
/** Frame bytes beyond its envelopes: root table, vtable, ack, first_seq, identifier, vector length. */
const FRAME_OVERHEAD = 128;
/** Paths per system-message vector (the schema allows 4096). */
const SYSTEM_CHUNK = 1024;
/** A batch builder starts this small, and one idle for a heartbeat is let go: idle associations stay small. */
const IDLE_BUILDER_BYTES = 1024;

/** What an association needs from its transport. */
export interface AssociationHost {
  readonly system: ActorSystem;
  readonly clock: Clock;
  readonly limits: RemoteLimits;
  readonly codecs: CodecRegistry;
  /** Paths agents and clients may address (prefixes). */
  readonly clientRecipients: readonly string[];
  publish(event: RemoteEvent): void;
  quarantine(address: string, incarnation: number): void;
  isQuarantined(address: string, incarnation: number): boolean;
  /** Starts a dial unless one is under way or no URL is known; true when a dial is under way. */
  dial(association: Association): boolean;
  /** This association watches nothing of ours any more, or now watches `paths` (rewatch). */
  watchedBy(association: Association, added: readonly string[], removed: readonly string[]): void;
  /** The association went down and keeps nothing: the transport may forget it. */
  idle(association: Association): void;
}

export interface AssociationStats {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  framesIn: number;
  framesOut: number;
  reconnects: number;
  heartbeatsMissed: number;
  readonly deadLetters: Map<DeadLetterReason, number>;
}

export type AssociationState = 'idle' | 'connecting' | 'up';

export class Association implements Transport, SocketOwner {
  /** Known once a handshake succeeded; undefined again after down. */
  remoteIncarnation: number | undefined;
  kind: PeerKind = 'node';
  /** This end's dial under way, set by the transport. */
  dialing: { readonly socket: PeerSocket; abandon(): void } | undefined;
  readonly stats: AssociationStats = {
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    framesIn: 0,
    framesOut: 0,
    reconnects: 0,
    heartbeatsMissed: 0,
    deadLetters: new Map(),
  };

  private socket: PeerSocket | undefined;
  // ---- outbound
  private nextSeq = 1;
  private writer: FrameWriter | undefined;
  private writerSize = 0;
  private flushScheduled = false;
  /** Finished batches not yet handed to a socket, oldest first. */
  private waiting: SentBatch[] = [];
  /** Batches handed to a socket and not yet acknowledged, oldest first. */
  private unacked: SentBatch[] = [];
  private queuedMessages = 0;
  private queuedBytes = 0;
  private readonly batchSizes = new WeakMap<SentBatch, number>();
  /** Paths on the peer that local actors watch (the refs the watches were made with). */
  private readonly watching = new Map<string, RemoteRef<unknown>>();
  private sysWatch: string[] = [];
  private sysUnwatch: string[] = [];
  private sysTerminated: string[] = [];
  private systemScheduled = false;
  // ---- inbound
  /** Highest seq received from the current remote incarnation. */
  private received = 0;
  /** Highest seq this end has acknowledged in a frame it sent. */
  private ackSent = 0;
  private ackTimer: TimerHandle | undefined;
  private ackSoon = false;
  /** Our paths the peer watches. */
  private readonly watchedHere = new Set<string>();
  private messagesBucket: TokenBucket | undefined;
  private bytesBucket: TokenBucket | undefined;
  private refReader: RefReader | undefined;
  /** Frames that arrived after this turn's budget was spent, in order; the socket is paused meanwhile. */
  private inbound: Uint8Array[] = [];
  private inboundSpent = 0;
  private inboundTurn = false;
  private inboundPaused = false;
  // ---- liveness
  private detector: FailureDetector | undefined;
  private tick: TimerHandle | undefined;
  private reconnectTimer: TimerHandle | undefined;
  private reconnectAttempt = 0;
  private lastSent = 0;
  private writtenSinceTick = false;
  private readonly envelope = new Envelope();

  constructor(
    readonly address: string,
    private readonly host: AssociationHost,
    /** Where to dial the peer; undefined for peers that only dial us (agents). */
    public url: string | undefined,
  ) {}

  get state(): AssociationState {
    if (this.socket !== undefined) return 'up';
    return this.dialing !== undefined ? 'connecting' : 'idle';
  }

  get queueDepth(): { readonly messages: number; readonly bytes: number } {
    return { messages: this.queuedMessages, bytes: this.queuedBytes };
  }

  /** Whether anything keeps this association wanted: messages to deliver, watches, a live peer. */
  private get hasDemand(): boolean {
    return this.queuedMessages > 0 || this.watching.size > 0 || this.remoteIncarnation !== undefined;
  }

  // ---- Transport ---------------------------------------------------------------------------------

  send(envelope: OutboundEnvelope): boolean {
    const { message, target, senderRef } = envelope;
    const limits = this.host.limits;
    if (target?.incarnation !== undefined && target.incarnation !== this.remoteIncarnation) {
      this.deadLetter(
        envelope.recipient,
        message,
        senderRef,
        'quarantined',
        `incarnation ${target.incarnation} of ${this.address} is gone`,
      );
      return true;
    }
    let codec;
    try {
      codec = this.host.codecs.forMessage(message);
    } catch (error) {
      this.deadLetter(envelope.recipient, message, senderRef, 'no-codec', error instanceof NoCodecError ? error.message : String(error));
      return true;
    }
    if (this.queuedMessages >= limits.maxQueueMessages || this.queuedBytes >= limits.maxQueueBytes) {
      this.deadLetter(
        envelope.recipient,
        message,
        senderRef,
        'outbound-queue-full',
        `${this.queuedMessages} messages, ${this.queuedBytes} bytes unacknowledged by ${this.address}`,
      );
      return true;
    }
    this.writer ??= new FrameWriter(IDLE_BUILDER_BYTES);
    const writer = this.writer;
    const refs = this.host.system.refs;
    let size: number;
    try {
      size = writer.add(
        this.nextSeq,
        envelope.recipient,
        envelope.sender,
        envelope.correlationId ?? 0,
        codec,
        message,
        refs,
        senderRef,
        target,
      );
    } catch (error) {
      this.deadLetter(
        envelope.recipient,
        message,
        senderRef,
        'no-codec',
        `the codec for "${codec.kind}" refused the message: ${describe(error)}`,
      );
      return true;
    }
    if (writer.bytes + FRAME_OVERHEAD > limits.maxFrameBytes) {
      // Past the frame limit with the batch: send the batch without it, then try it alone.
      writer.removeLast(refs);
      if (writer.count === 0 || size + FRAME_OVERHEAD > limits.maxFrameBytes) {
        this.deadLetter(
          envelope.recipient,
          message,
          senderRef,
          'message-too-big',
          `${size} bytes encoded; frames to ${this.address} are at most ${limits.maxFrameBytes}`,
        );
        return true;
      }
      this.finishBatch();
      return this.send(envelope);
    }
    this.nextSeq++;
    this.writerSize += size;
    this.queuedMessages++;
    this.queuedBytes += size;
    if (writer.count >= limits.batchMessages || writer.bytes >= limits.batchBytes) this.finishBatch();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
    if (this.socket === undefined) this.demand();
    return true;
  }

  watch(target: RemoteRef<unknown>): boolean {
    if (target.incarnation !== undefined && target.incarnation !== this.remoteIncarnation) return false;
    if (target.incarnation === undefined && this.remoteIncarnation !== undefined) target.incarnation = this.remoteIncarnation;
    const local = parsePath(target.path)?.local;
    if (local === undefined) return false;
    this.watching.set(local, target);
    if (this.socket !== undefined) this.queueSystem(this.sysWatch, local);
    else this.demand();
    return true;
  }

  unwatch(target: RemoteRef<unknown>): void {
    const local = parsePath(target.path)?.local;
    if (local === undefined || !this.watching.delete(local)) return;
    if (this.socket !== undefined) this.queueSystem(this.sysUnwatch, local);
  }

  /** A local actor the peer watches stopped. */
  terminatedHere(local: string): void {
    if (!this.watchedHere.delete(local)) return;
    if (this.socket !== undefined) this.queueSystem(this.sysTerminated, local);
    // Not connected: the peer's rewatch after the next handshake finds it gone and hears then.
  }

  // ---- outbound plumbing ---------------------------------------------------------------------------

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.writer !== undefined && this.writer.count > 0) this.finishBatch();
  };

  private finishBatch(): void {
    const writer = this.writer!;
    const batch = writer.finish(this.received, undefined);
    this.batchSizes.set(batch, this.writerSize);
    this.writerSize = 0;
    this.ackSent = this.received;
    this.waiting.push(batch);
    this.writtenSinceTick = true;
    this.pump();
  }

  /** Hands waiting batches to the socket while it is below the high-water mark. */
  private pump(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    const highWater = this.host.limits.highWaterBytes;
    while (this.waiting.length > 0 && socket.buffered < highWater) {
      const batch = this.waiting.shift()!;
      // Refs are bound to the incarnation that their first message is actually sent to.
      if (!batch.sent) {
        batch.sent = true;
        const incarnation = this.remoteIncarnation;
        for (const t of batch.targets) if (t !== undefined && t.incarnation === undefined) t.incarnation = incarnation;
      }
      this.unacked.push(batch);
      this.stats.framesOut++;
      this.stats.messagesOut += batch.count;
      this.lastSent = this.host.clock.now();
      this.stats.bytesOut += batch.bytes.byteLength;
      // Each write's callback looks again, so batches held back by the high-water mark go out as it drains.
      socket.send(batch.bytes, this.pumpLater);
    }
  }

  private readonly pumpLater = (): void => {
    if (this.waiting.length > 0) this.pump();
  };

  private queueSystem(list: string[], path: string): void {
    list.push(path);
    if (!this.systemScheduled) {
      this.systemScheduled = true;
      queueMicrotask(this.flushSystem);
    }
  }

  /** Sends pending system messages in frames of their own, ahead of any waiting batch. */
  private readonly flushSystem = (): void => {
    this.systemScheduled = false;
    const socket = this.socket;
    const watch = this.sysWatch;
    const unwatch = this.sysUnwatch;
    const terminated = this.sysTerminated;
    this.sysWatch = [];
    this.sysUnwatch = [];
    this.sysTerminated = [];
    if (socket === undefined) return;
    this.sendSystem(socket, { watch, rewatch: false, unwatch, terminated });
  };

  private sendSystem(socket: PeerSocket, m: SystemMessages): void {
    let first = true;
    for (let i = 0; first || i < Math.max(m.watch.length, m.unwatch.length, m.terminated.length); i += SYSTEM_CHUNK) {
      const chunk: SystemMessages = {
        watch: m.watch.slice(i, i + SYSTEM_CHUNK),
        rewatch: m.rewatch && first,
        unwatch: m.unwatch.slice(i, i + SYSTEM_CHUNK),
        terminated: m.terminated.slice(i, i + SYSTEM_CHUNK),
      };
      first = false;
      this.sendControl(socket, chunk);
    }
  }

  private sendControl(socket: PeerSocket, system: SystemMessages | undefined): void {
    const bytes = controlFrame(this.received, system);
    this.ackSent = this.received;
    this.lastSent = this.host.clock.now();
    this.stats.framesOut++;
    this.stats.bytesOut += bytes.byteLength;
    socket.send(bytes, undefined);
  }

  /**
   * Acknowledgements ride on whatever this end sends next (a reply, a batch, a heartbeat). One goes
   * on its own only when nothing did: at once (after this turn's I/O) once a batch's worth waits
   * to be acknowledged, so that a one-way stream's sender can forget what it sent, otherwise after
   * ACK_DELAY_MS, so that a request and its reply cost one frame each way, not two.
   */
  private scheduleAck(): void {
    if (this.received - this.ackSent >= this.host.limits.batchMessages) {
      if (!this.ackSoon) {
        this.ackSoon = true;
        setImmediate(this.sendAck);
      }
    } else this.ackTimer ??= this.host.clock.setTimer(ACK_DELAY_MS, this.sendAck);
  }

  private readonly sendAck = (): void => {
    this.ackSoon = false;
    this.ackTimer?.cancel();
    this.ackTimer = undefined;
    if (this.socket !== undefined && this.received > this.ackSent) this.sendControl(this.socket, undefined);
  };

  private acknowledged(ack: number): void {
    let dropped = 0;
    while (dropped < this.unacked.length) {
      const batch = this.unacked[dropped]!;
      if (batch.firstSeq + batch.count - 1 > ack) break;
      this.forget(batch);
      dropped++;
    }
    if (dropped > 0) this.unacked = this.unacked.slice(dropped);
  }

  private forget(batch: SentBatch): void {
    this.queuedMessages -= batch.count;
    this.queuedBytes -= this.batchSizes.get(batch) ?? 0;
  }

  // ---- inbound ---------------------------------------------------------------------------------------

  /**
   * A frame from the socket. Up to a budget of envelopes a turn is delivered at once; past it,
   * frames wait (in order) for the next turns and the socket stops reading, so the actors here get
   * the CPU between frames and a sender faster than they are is held back by TCP, not by mailboxes
   * overflowing.
   */
  frame(socket: PeerSocket, data: Uint8Array): void {
    if (socket !== this.socket) return;
    this.stats.bytesIn += data.byteLength;
    this.stats.framesIn++;
    this.detector?.heard(this.host.clock.now());
    if (this.inbound.length > 0 || this.inboundSpent >= this.inboundBudget) {
      this.inbound.push(data);
      if (!this.inboundPaused) {
        this.inboundPaused = true;
        socket.pause();
      }
    } else this.take(socket, data);
    if (!this.inboundTurn) {
      this.inboundTurn = true;
      setImmediate(this.nextTurn);
    }
  }

  private get inboundBudget(): number {
    return 4 * this.host.limits.batchMessages;
  }

  private readonly nextTurn = (): void => {
    this.inboundSpent = 0;
    const socket = this.socket;
    while (socket !== undefined && this.inbound.length > 0 && this.inboundSpent < this.inboundBudget && socket === this.socket) {
      this.take(socket, this.inbound.shift()!);
    }
    if (this.inbound.length > 0 && this.socket !== undefined) {
      setImmediate(this.nextTurn);
      return;
    }
    this.inboundTurn = false;
    if (this.inboundPaused) {
      this.inboundPaused = false;
      this.socket?.resume();
    }
  };

  private take(socket: PeerSocket, data: Uint8Array): void {
    const refusal = this.receive(data);
    if (refusal !== undefined) this.refuse(socket, refusal.code, refusal.reason);
  }

  /**
   * Everything a frame from the peer does, or why the peer must be closed (nothing of the frame is
   * then delivered). The socket policy is the caller's: the fuzz test drives this directly.
   */
  receive(data: Uint8Array): { readonly code: number; readonly reason: string } | undefined {
    const host = this.host;
    const limits = host.limits;
    const read = readFrame(data, limits.maxFrameBytes);
    if (!read.ok) return { code: RemoteCloseCode.InvalidPayload, reason: `malformed frame: ${read.error.code}: ${read.error.message}` };
    const frame = read.value;
    if (frame.hello() !== null || frame.challenge() !== null || frame.proof() !== null || frame.welcome() !== null) {
      return { code: RemoteCloseCode.PolicyViolation, reason: 'handshake frame on an established association' };
    }
    const n = frame.envelopesLength();
    if (this.messagesBucket !== undefined && !(this.messagesBucket.take(Math.max(1, n)) && this.bytesBucket!.take(data.byteLength))) {
      return {
        code: RemoteCloseCode.PolicyViolation,
        reason: `rate limit exceeded: at most ${limits.inboundMessagesPerSecond} messages and ${limits.inboundBytesPerSecond} bytes a second`,
      };
    }
    const firstSeq = safeU64(frame.firstSeq());
    if (n > 0 && firstSeq <= this.received) {
      return {
        code: RemoteCloseCode.PolicyViolation,
        reason: `envelope seq ${firstSeq} repeats or goes back (last received ${this.received})`,
      };
    }
    const system = this.systemMessages(frame);
    if (typeof system === 'string') return { code: RemoteCloseCode.PolicyViolation, reason: system };
    const targets = this.checkEnvelopes(frame, n);
    if (typeof targets === 'string') return { code: RemoteCloseCode.PolicyViolation, reason: targets };
    // Everything in the frame is allowed: act on it.
    this.acknowledged(safeU64(frame.ack()));
    this.applyWatches(system);
    if (n > 0) {
      this.deliver(frame, n, targets);
      this.received = firstSeq + n - 1;
      this.stats.messagesIn += n;
      this.inboundSpent += n;
      this.scheduleAck();
    }
    for (const path of system.terminated) {
      this.watching.delete(path);
      host.system.remoteTerminated(qualify(this.address, path));
    }
    if (this.waiting.length > 0) this.pump();
    return undefined;
  }

  /** The frame's system messages, or why they are refused. */
  private systemMessages(frame: RemoteFrame): SystemMessages | string {
    const read = (length: number, at: (i: number) => string, what: string): string[] | string => {
      const out: string[] = [];
      for (let i = 0; i < length; i++) {
        const path = at(i);
        const parsed = parsePath(path);
        if (parsed === undefined || parsed.address !== undefined || path.startsWith(TEMP_PREFIX))
          return `${what} of a path that is not a local actor path: ${path.slice(0, 80)}`;
        out.push(path);
      }
      return out;
    };
    const watch = read(frame.watchLength(), (i) => frame.watch(i), 'watch');
    if (typeof watch === 'string') return watch;
    const unwatch = read(frame.unwatchLength(), (i) => frame.unwatch(i), 'unwatch');
    if (typeof unwatch === 'string') return unwatch;
    const terminated = read(frame.terminatedLength(), (i) => frame.terminated(i), 'terminated');
    if (typeof terminated === 'string') return terminated;
    return { watch, rewatch: frame.rewatch(), unwatch, terminated };
  }

  private applyWatches(m: SystemMessages): void {
    const added: string[] = [];
    const removed: string[] = [];
    if (m.rewatch) {
      for (const path of this.watchedHere) if (!m.watch.includes(path)) removed.push(path);
      this.watchedHere.clear();
    }
    for (const path of m.unwatch) if (this.watchedHere.delete(path)) removed.push(path);
    const gone: string[] = [];
    for (const path of m.watch) {
      if (this.host.system.lookup(path) === undefined) {
        gone.push(path);
        continue;
      }
      if (!this.watchedHere.has(path)) {
        this.watchedHere.add(path);
        added.push(path);
      }
    }
    if (added.length > 0 || removed.length > 0) this.host.watchedBy(this, added, removed);
    // Watching an actor that is not there: as locally, the watcher hears at once.
    for (const path of gone) this.queueSystem(this.sysTerminated, path);
  }

  /** The local path of each envelope's recipient, or why the frame is refused. */
  private checkEnvelopes(frame: RemoteFrame, n: number): string[] | string {
    const env = this.envelope;
    const bb = frame.bb!;
    const locals: string[] = new Array<string>(n);
    const restricted = this.kind !== 'node';
    let lastRecipientAt = -1;
    let lastLocal = '';
    let lastSenderAt = -1;
    for (let i = 0; i < n; i++) {
      frame.envelopes(i, env);
      const rAt = recipientAt(env);
      if (rAt === 0) return `envelope ${i} has no recipient`;
      if (rAt !== lastRecipientAt) {
        const recipient = stringFrom(bb, rAt);
        const parsed = parsePath(recipient);
        if (parsed === undefined || (parsed.address !== undefined && parsed.address !== this.host.system.name)) {
          return `recipient ${recipient.slice(0, 80)} is not an actor of ${this.host.system.name}`;
        }
        lastRecipientAt = rAt;
        lastLocal = parsed.local;
      }
      if (restricted) {
        const refused = this.refusedRecipient(lastLocal);
        if (refused !== undefined) return refused;
      }
      locals[i] = lastLocal;
      const sAt = senderAt(env);
      if (sAt !== 0 && sAt !== lastSenderAt) {
        const sender = stringFrom(bb, sAt);
        if (parsePath(sender)?.address !== this.address)
          return `sender ${sender.slice(0, 80)} claims another system's path: this is ${this.address}`;
        lastSenderAt = sAt;
      }
    }
    return locals;
  }

  /** Why an agent or client may not send to `local`, or undefined when it may. */
  private refusedRecipient(local: string): string | undefined {
    if (local.startsWith(TEMP_PREFIX)) {
      // A reply: only to an ask that went to this peer (or one already settled, which dead-letters).
      const target = this.host.system.askTarget(Number(local.slice(TEMP_PREFIX.length)));
      if (target === undefined || parsePath(target)?.address === this.address) return undefined;
      return `${local} is an ask that was not sent to ${this.address}`;
    }
    for (const prefix of this.host.clientRecipients)
      if (local === prefix || local.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) return undefined;
    return `${this.kind}s may not address ${local.slice(0, 80)}: only ${this.host.clientRecipients.join(', ')} and replies to asks`;
  }

  private deliver(frame: RemoteFrame, n: number, locals: readonly string[]): void {
    const system = this.host.system;
    const codecs = this.host.codecs;
    const env = this.envelope;
    const bb = frame.bb!;
    const refs = this.reader();
    let lastSenderAt = -1;
    let sender: Ref<unknown> | undefined;
    for (let i = 0; i < n; i++) {
      frame.envelopes(i, env);
      const sAt = senderAt(env);
      if (sAt === 0) sender = undefined;
      else if (sAt !== lastSenderAt) {
        lastSenderAt = sAt;
        sender = system.remoteRef(stringFrom(bb, sAt), this.remoteIncarnation);
      }
      const local = locals[i]!;
      const type = env.payloadType();
      const codec = codecs.forPayload(type);
      if (codec === undefined) {
        system.deadLetter(
          local,
          { payload: Payload[type] ?? type },
          sender,
          'no-codec',
          `no codec here for ${Payload[type] ?? type} from ${this.address}`,
        );
        continue;
      }
      let message: unknown;
      try {
        message = codec.decode(env, refs, sender);
      } catch (error) {
        system.deadLetter(
          local,
          { payload: Payload[type] ?? type },
          sender,
          'no-codec',
          `the codec for "${codec.kind}" could not decode it: ${describe(error)}`,
        );
        continue;
      }
      system.deliverRemote(local, message, sender);
    }
  }

  /** Refs inside messages from this peer: its own actors bound to its incarnation. */
  private reader(): RefReader {
    if (this.refReader !== undefined) return this.refReader;
    const system = this.host.system;
    const incarnation = this.remoteIncarnation;
    const reader: RefReader = {
      refFor: <Msg>(path: string): Ref<Msg> => {
        const parsed = parsePath(path);
        if (parsed === undefined) return pathRef<Msg>(system, path);
        if (parsed.address === undefined || parsed.address === system.name) {
          return (system.refs.refFor(parsed.local) as Ref<Msg> | undefined) ?? pathRef<Msg>(system, parsed.local);
        }
        return system.remoteRef<Msg>(path, parsed.address === this.address ? incarnation : undefined);
      },
    };
    this.refReader = reader;
    return reader;
  }

  // ---- connection lifecycle ---------------------------------------------------------------------------

  /**
   * A handshake succeeded on `socket` with `incarnation` of the peer, which had received up to
   * `peerReceived` of ours. A different incarnation from the one associated means that one is gone.
   */
  attach(socket: PeerSocket, incarnation: number, kind: PeerKind, peerReceived: number): void {
    const host = this.host;
    const dialing = this.dialing;
    this.dialing = undefined;
    // A dial of ours still going loses to the connection that got here first.
    if (dialing !== undefined && dialing.socket !== socket) dialing.abandon();
    let unsent: SentBatch[] = [];
    if (this.remoteIncarnation !== undefined && this.remoteIncarnation !== incarnation) {
      // The old incarnation is gone. What was sent to it is lost with it; what never left may
      // still go to the new one, unless it was told through a ref bound to the old.
      if (this.writer !== undefined && this.writer.count > 0) this.finishBatch();
      unsent = this.waiting.filter((b) => !b.sent);
      this.waiting = this.waiting.filter((b) => b.sent);
      for (const batch of unsent) this.forget(batch);
      this.down(`a new incarnation ${incarnation} of ${this.address} replaced ${this.remoteIncarnation}`);
    }
    const old = this.socket;
    if (old !== undefined && old !== socket) {
      this.socket = undefined;
      old.close(RemoteCloseCode.Superseded, 'superseded by a newer connection between the same systems');
    }
    if (this.remoteIncarnation === undefined) {
      this.remoteIncarnation = incarnation;
      // Watches made before any incarnation answered are of this one.
      for (const target of this.watching.values()) target.incarnation ??= incarnation;
    }
    this.kind = kind;
    if (kind !== 'node') {
      const limits = host.limits;
      const now = () => host.clock.now();
      this.messagesBucket ??= new TokenBucket(limits.inboundMessagesPerSecond, limits.inboundMessageBurst, now);
      this.bytesBucket ??= new TokenBucket(limits.inboundBytesPerSecond, limits.inboundByteBurst, now);
    }
    // Batches sent on the lost connection go again first, but not those the peer says it has.
    const resend = [...this.unacked, ...this.waiting];
    this.unacked = [];
    this.waiting = [];
    for (const batch of resend) {
      if (batch.firstSeq + batch.count - 1 <= peerReceived) this.forget(batch);
      else this.waiting.push(batch);
    }
    this.dropInbound();
    this.socket = socket;
    socket.owner = this;
    this.reconnectAttempt = 0;
    for (const batch of unsent) this.resend(batch);
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    const now = host.clock.now();
    this.detector ??= new FailureDetector(host.limits.heartbeatMs, host.limits.downAfterMs, now);
    this.detector.heard(now);
    this.startTicking();
    host.publish({ type: 'association-up', address: this.address, incarnation, kind, direction: socket.direction, time: now });
    // Everything watched there, in full: heals watches, unwatches and terminations a lost connection dropped.
    this.sysWatch = [];
    this.sysUnwatch = [];
    this.sendSystem(socket, { watch: [...this.watching.keys()], rewatch: true, unwatch: [], terminated: this.sysTerminated.splice(0) });
    this.pump();
  }

  /** Tells a batch that never left again, message by message, on the current association. */
  private resend(batch: SentBatch): void {
    for (let i = 0; i < batch.count; i++) {
      const target = batch.targets[i];
      const recipient = batch.recipients[i]!;
      if (target?.incarnation !== undefined) {
        this.deadLetter(
          recipient,
          batch.messages[i],
          batch.senders[i],
          'quarantined',
          `incarnation ${target.incarnation} of ${this.address} is gone`,
        );
        continue;
      }
      this.send({
        recipient,
        sender: batch.senderPaths[i],
        correlationId: batch.correlationIds[i],
        message: batch.messages[i],
        target,
        senderRef: batch.senders[i],
      });
    }
  }

  /** What this end received from `incarnation` of the peer, for the handshake. */
  receivedFrom(incarnation: number): number {
    return this.remoteIncarnation === incarnation ? this.received : 0;
  }

  /** Frames still waiting from a connection that is gone are not delivered: their sender sends them again. */
  private dropInbound(): void {
    this.inbound = [];
    this.inboundPaused = false;
  }

  closed(socket: PeerSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.dropInbound();
    const host = this.host;
    host.publish({ type: 'connection-lost', address: this.address, code, reason, time: host.clock.now() });
    if (socket.closedWith === undefined && REFUSED_BY_PEER.has(code)) {
      // The peer refused what we sent: sent again, it would be refused again, round and round.
      for (const batch of this.unacked) {
        this.forget(batch);
        for (let i = 0; i < batch.count; i++) {
          this.deadLetter(
            batch.recipients[i]!,
            batch.messages[i],
            batch.senders[i],
            'transport-failed',
            `${this.address} closed the connection (${code}): ${reason}`,
          );
        }
      }
      this.unacked = [];
    }
    // What was sent and not acknowledged may not have arrived: it goes again after the next handshake.
    this.waiting = [...this.unacked, ...this.waiting];
    this.unacked = [];
    if (socket.closedWith === undefined) {
      if (code === RemoteCloseCode.Quarantined) {
        this.down(`${this.address} quarantined this system: ${reason}`, 'quarantined');
        return;
      }
      if (code === RemoteCloseCode.GoingAway) {
        this.down(`${this.address} is shutting down`);
        return;
      }
    } else if (socket.closedWith.code === RemoteCloseCode.Superseded || socket.closedWith.code === RemoteCloseCode.Quarantined) {
      return;
    }
    this.demand();
  }

  /** A dial failed before its handshake completed; `superseded`: the peer's own dial won the race. */
  dialFailed(superseded: boolean): void {
    this.dialing = undefined;
    // The winning connection is on its way: the next tick dials again only if it never comes.
    if (this.socket === undefined && !superseded) this.demand();
  }

  /** Something wants the association: dial now or after the backoff, and watch the clock. */
  private demand(): void {
    this.detector ??= new FailureDetector(this.host.limits.heartbeatMs, this.host.limits.downAfterMs, this.host.clock.now());
    this.startTicking();
    if (this.socket !== undefined || this.dialing !== undefined || this.reconnectTimer !== undefined || this.url === undefined) return;
    if (this.reconnectAttempt === 0) {
      this.reconnectAttempt = 1;
      this.host.dial(this);
      return;
    }
    const limits = this.host.limits;
    const delayMs = reconnectDelay(this.reconnectAttempt, limits, () => this.host.system.random());
    this.host.publish({
      type: 'reconnect-scheduled',
      address: this.address,
      attempt: this.reconnectAttempt,
      delayMs,
      time: this.host.clock.now(),
    });
    this.reconnectTimer = this.host.clock.setTimer(delayMs, () => {
      this.reconnectTimer = undefined;
      if (this.socket !== undefined || this.dialing !== undefined || !this.hasDemand) return;
      this.reconnectAttempt++;
      this.stats.reconnects++;
      this.host.dial(this);
    });
  }

  private startTicking(): void {
    if (this.tick !== undefined) return;
    const beat = (): void => {
      this.tick = undefined;
      this.onTick();
      if (this.detector !== undefined) this.tick = this.host.clock.setTimer(this.host.limits.heartbeatMs, beat);
    };
    this.tick = this.host.clock.setTimer(this.host.limits.heartbeatMs, beat);
  }

  private onTick(): void {
    const host = this.host;
    const now = host.clock.now();
    const detector = this.detector;
    if (detector === undefined) return;
    const verdict = detector.check(now);
    if (verdict === 'down') {
      this.down(`nothing heard from ${this.address} for ${detector.silence(now)} ms (the bound is ${host.limits.downAfterMs} ms)`);
      return;
    }
    if (verdict === 'missed' && this.remoteIncarnation !== undefined) this.stats.heartbeatsMissed++;
    const socket = this.socket;
    if (socket !== undefined && now - this.lastSent >= host.limits.heartbeatMs / 2) this.sendControl(socket, undefined);
    if (socket === undefined && !this.hasDemand && this.dialing === undefined) {
      // Nothing wanted and nobody there: stop watching the clock.
      this.detector = undefined;
      this.reconnectAttempt = 0;
      host.idle(this);
      return;
    }
    if (socket === undefined) this.demand();
    // An idle batch builder is let go: an idle association keeps a few hundred bytes, not a batch.
    if (!this.writtenSinceTick && this.writer !== undefined && this.writer.count === 0) this.writer = undefined;
    this.writtenSinceTick = false;
  }

  /**
   * The peer is declared down: its watched actors are Terminated, everything not acknowledged
   * dead-letters as transport-failed, and its incarnation is quarantined (refs to it stay dead).
   */
  down(why: string, reason: DeadLetterReason = 'transport-failed'): void {
    const host = this.host;
    const system = host.system;
    const incarnation = this.remoteIncarnation;
    host.publish({ type: 'association-down', address: this.address, incarnation, why, time: host.clock.now() });
    if (incarnation !== undefined) host.quarantine(this.address, incarnation);
    const socket = this.socket;
    this.socket = undefined;
    this.dropInbound();
    socket?.close(
      RemoteCloseCode.Quarantined,
      `declared down (${why}): incarnation ${incarnation ?? 'unknown'} of ${this.address} is quarantined`,
    );
    this.dialing?.abandon();
    this.dialing = undefined;
    if (this.writer !== undefined && this.writer.count > 0) this.finishBatch();
    const lost = [...this.unacked, ...this.waiting];
    this.unacked = [];
    this.waiting = [];
    for (const batch of lost) {
      this.forget(batch);
      for (let i = 0; i < batch.count; i++) this.deadLetter(batch.recipients[i]!, batch.messages[i], batch.senders[i], reason, why);
    }
    this.queuedMessages = 0;
    this.queuedBytes = 0;
    this.watching.clear();
    if (this.watchedHere.size > 0) host.watchedBy(this, [], [...this.watchedHere]);
    this.watchedHere.clear();
    this.sysWatch = [];
    this.sysUnwatch = [];
    this.sysTerminated = [];
    this.remoteIncarnation = undefined;
    this.refReader = undefined;
    this.received = 0;
    this.ackSent = 0;
    this.nextSeq = 1;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    this.reconnectAttempt = 0;
    this.detector = undefined;
    this.tick?.cancel();
    this.tick = undefined;
    system.remoteAddressDown(this.address);
    host.idle(this);
  }

  /**
   * The peer refused this system's handshake as quarantined: it declared this incarnation down
   * earlier, and will not hear from it again. Everything pending for it dead-letters.
   */
  quarantinedByPeer(reason: string): void {
    this.down(`${this.address} refused this system: ${reason}`, 'quarantined');
  }

  /** Closes the connection as this system stops: what is pending is sent first. */
  shutdown(): void {
    if (this.writer !== undefined && this.writer.count > 0) this.finishBatch();
    this.flushSystem();
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    this.tick?.cancel();
    this.tick = undefined;
    this.detector = undefined;
    this.dialing?.abandon();
    this.dialing = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(RemoteCloseCode.GoingAway, `${this.host.system.name} is shutting down`);
  }

  /** Closes the socket for breaking the protocol; the peer reconnects or is declared down. */
  private refuse(socket: PeerSocket, code: number, reason: string): void {
    this.host.publish({
      type: 'connection-refused',
      remote: socket.remote,
      address: this.address,
      code,
      reason,
      time: this.host.clock.now(),
    });
    socket.close(code, reason);
  }

  private deadLetter(
    recipient: string,
    message: unknown,
    sender: Ref<unknown> | undefined,
    reason: DeadLetterReason,
    detail: string,
  ): void {
    this.stats.deadLetters.set(reason, (this.stats.deadLetters.get(reason) ?? 0) + 1);
    this.host.system.deadLetter(recipient, message, sender, reason, detail);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
