// WebSocket close codes the gateway uses (RFC 6455 section 7.4.1), and reasons cut to the 123
// bytes a close frame can carry.

export const CloseCode = {
  /** Server shutting down, or a peer that stopped answering. */
  GoingAway: 1001,
  /** A text frame: this protocol is binary only. */
  UnsupportedData: 1003,
  /** Bytes that are not a valid Envelope. */
  InvalidPayload: 1007,
  /** A valid message at the wrong time, a refused token, abuse of the rate limit, a stalled reader. */
  PolicyViolation: 1008,
  /** A message over the size limit. */
  TooBig: 1009,
  /** The session actor crashed. */
  InternalError: 1011,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

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
