// The gateway's limits and timings as data, with the defaults a node runs with.

export interface GatewayLimits {
  /** Largest inbound WebSocket message; larger closes the socket with 1009 and a reason. */
  readonly maxMessageBytes: number;
  /** Inbound messages per second per connection (token bucket refill) and the burst allowed. */
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
  /** Inbound bytes per second per connection and the burst allowed. */
  readonly bytesPerSecond: number;
  readonly byteBurst: number;
  /** Messages dropped by the rate limit within one second that get a connection closed (1008). */
  readonly abuseDropsPerSecond: number;
  /** A Handshake must arrive this soon after the upgrade. */
  readonly handshakeTimeoutMs: number;
  /** Ping interval; a peer that has not answered the previous ping by the next one is dropped. */
  readonly heartbeatMs: number;
  /** A socket that could take no position frame for this long is closed (1008, "stalled"). */
  readonly stallTimeoutMs: number;
  /** How often the stall check runs. */
  readonly stallCheckMs: number;
  /**
   * Floor of the send threshold. A frame goes out only while the socket's buffered bytes are at
   * most max(this, the stream's last keyframe size), so a reader that stops holds <= 2 frames.
   */
  readonly minHighWaterBytes: number;
  /** Buffered bytes (frames plus control messages) past which a connection is closed at once. */
  readonly maxBufferedBytes: number;
  /** How long a session whose socket dropped waits for its client to resume it. */
  readonly resumeWindowMs: number;
  /** Sequenced messages kept for resume, by count and by bytes, per session... */
  readonly replayMessages: number;
  readonly replayBytes: number;
  /** ...and by bytes over all the sessions of the gateway (replay-ring.ts). */
  readonly replayBudgetBytes: number;
  /** Timeout of asks to the settings actor. */
  readonly askTimeoutMs: number;
  /** Region filters are re-evaluated this often (the id table changes at most this often). */
  readonly regionRefreshMs: number;
  /**
   * Sessions one gateway holds, connected or waiting for a resume. An upgrade past it ends the
   * session that has waited longest for a resume, or is answered 503 when none waits.
   */
  readonly maxSessions: number;
  /** Largest HTTP request body (settings PUT/POST, fault injection). */
  readonly maxBodyBytes: number;
  /**
   * Sockets a position frame is handed to per turn of the gateway actor. Between slices the other
   * actors and the socket reads get their turn, so a fan-out to hundreds of clients never holds a
   * settings change or a graph edit back by more than one slice.
   */
  readonly fanoutSlice: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxMessageBytes: 1 << 20,
  messagesPerSecond: 200,
  messageBurst: 400,
  bytesPerSecond: 8 << 20,
  byteBurst: 16 << 20,
  abuseDropsPerSecond: 400,
  handshakeTimeoutMs: 5_000,
  heartbeatMs: 15_000,
  stallTimeoutMs: 10_000,
  stallCheckMs: 250,
  minHighWaterBytes: 16 << 10,
  maxBufferedBytes: 8 << 20,
  resumeWindowMs: 30_000,
  replayMessages: 1024,
  replayBytes: 4 << 20,
  replayBudgetBytes: 256 << 20,
  askTimeoutMs: 5_000,
  regionRefreshMs: 1_000,
  maxSessions: 10_000,
  maxBodyBytes: 64 << 10,
  fanoutSlice: 32,
};
