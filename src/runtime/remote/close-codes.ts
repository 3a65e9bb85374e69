// Close codes of the remote transport's WebSocket (RFC 6455 7.4: 1000-1011 standard, 4000-4999
// private to this protocol), and reasons cut to the 123 bytes a close frame can carry. A peer that
// breaks the protocol is told why before the socket goes; docs/protocol.md lists every case.

export const RemoteCloseCode = {
  /** This end is stopping (its system terminates, or the association was closed on purpose). */
  GoingAway: 1001,
  /** A text message: the protocol is binary only. */
  UnsupportedData: 1003,
  /** Bytes that are not a valid RemoteFrame (verification failed, or a bad Envelope in it). */
  InvalidPayload: 1007,
  /** A valid frame this peer may not send: failed handshake, spoofed sender, forbidden recipient, flood. */
  PolicyViolation: 1008,
  /** A frame over the size limit. */
  TooBig: 1009,
  /** The peer's incarnation is quarantined here: it was declared down and must restart to come back. */
  Quarantined: 4000,
  /** Another connection between the same two systems won (simultaneous dial, or a newer one). */
  Superseded: 4001,
  /** No protocol version both ends speak. */
  NoCommonVersion: 4002,
} as const;

export type RemoteCloseCode = (typeof RemoteCloseCode)[keyof typeof RemoteCloseCode];

const MAX_REASON_BYTES = 123;

/** `reason`, cut on a character boundary to fit a close frame. */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= MAX_REASON_BYTES) return reason;
  let out = '';
  let bytes = 0;
  for (const ch of reason) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > MAX_REASON_BYTES - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}...`;
}
