// Every limit and timing of the remote transport as data, with the defaults, and the check that a
// configuration makes sense. All of them show in /metrics as vf_remote_limit{limit="..."}.

export interface RemoteLimits {
  /** Largest frame (one WebSocket message) accepted or sent; a bigger inbound one closes with 1009. */
  readonly maxFrameBytes: number;
  /** A batch is sent once it holds this many bytes of envelopes... */
  readonly batchBytes: number;
  /** ...or this many envelopes, or once the code that told them returns (a microtask), whichever comes first. */
  readonly batchMessages: number;
  /**
   * Outbound queue per association: envelopes not yet acknowledged by the far system (waiting to
   * be sent, or sent and unacknowledged). A tell past either bound dead-letters as outbound-queue-full.
   */
  readonly maxQueueMessages: number;
  readonly maxQueueBytes: number;
  /** Bytes buffered in the socket past which user frames wait in the queue (so system frames can overtake them). */
  readonly highWaterBytes: number;
  /** Each end sends a frame at least this often (a heartbeat when it has nothing else to send). */
  readonly heartbeatMs: number;
  /**
   * The failure detector's bound: a system from which nothing has been heard for this long is
   * declared down (its watched actors are Terminated, its in-flight messages dead-letter, its
   * incarnation is quarantined). Checked every heartbeatMs, so down comes at most
   * downAfterMs + heartbeatMs after the last frame heard.
   */
  readonly downAfterMs: number;
  /** A handshake must complete this soon after the socket opens. */
  readonly handshakeTimeoutMs: number;
  /** Reconnect delay: exponential from min to max, each delay scaled by 1 +- jitter at random. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly reconnectJitter: number;
  /** Inbound rate limits for agents and clients (nodes are trusted): messages and bytes a second, and bursts. */
  readonly inboundMessagesPerSecond: number;
  readonly inboundMessageBurst: number;
  readonly inboundBytesPerSecond: number;
  readonly inboundByteBurst: number;
  /** Quarantined incarnations remembered (the oldest are forgotten first). */
  readonly quarantineSize: number;
  /** Associations at once (authenticated peers); a handshake past it is refused with 1008. */
  readonly maxAssociations: number;
  /** Sockets still in their handshake at once; more are refused with 1008. */
  readonly maxHandshakes: number;
}

export const DEFAULT_REMOTE_LIMITS: RemoteLimits = {
  maxFrameBytes: 4 << 20,
  batchBytes: 64 << 10,
  batchMessages: 1024,
  maxQueueMessages: 100_000,
  maxQueueBytes: 32 << 20,
  highWaterBytes: 1 << 20,
  heartbeatMs: 1_000,
  downAfterMs: 10_000,
  handshakeTimeoutMs: 5_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
  reconnectJitter: 0.2,
  inboundMessagesPerSecond: 10_000,
  inboundMessageBurst: 20_000,
  inboundBytesPerSecond: 8 << 20,
  inboundByteBurst: 16 << 20,
  quarantineSize: 1024,
  maxAssociations: 1024,
  maxHandshakes: 64,
};

/** The defaults with `given` over them; throws RangeError naming the first limit that makes no sense. */
export function remoteLimits(given: Partial<RemoteLimits> = {}): RemoteLimits {
  const limits: RemoteLimits = { ...DEFAULT_REMOTE_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits) as [keyof RemoteLimits, number][]) {
    if (name === 'reconnectJitter') {
      if (!(value >= 0 && value < 1)) throw new RangeError(`remote limit reconnectJitter must be in [0, 1), got ${value}`);
    } else if (!(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`remote limit ${name} must be a positive number, got ${value}`);
    }
  }
  if (limits.batchBytes > limits.maxFrameBytes) throw new RangeError('remote limit batchBytes must not exceed maxFrameBytes');
  if (limits.batchMessages > 65_536) throw new RangeError('remote limit batchMessages must be at most 65536 (the schema bound)');
  if (limits.downAfterMs <= limits.heartbeatMs) throw new RangeError('remote limit downAfterMs must exceed heartbeatMs');
  if (limits.reconnectMaxMs < limits.reconnectMinMs) throw new RangeError('remote limit reconnectMaxMs must be at least reconnectMinMs');
  return limits;
}
