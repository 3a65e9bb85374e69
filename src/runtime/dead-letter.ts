// A message that could not be delivered, with why. Reasons are data so the retry actor can decide
// which ones are worth another attempt (a full mailbox is; an expired ask is not).

export type DeadLetterReason =
  | 'recipient-unknown'
  | 'recipient-stopped'
  | 'mailbox-full'
  | 'mailbox-dropped'
  | 'stash-full'
  | 'ask-expired'
  /** A transport lost it: the connection failed with the message unacknowledged, or the far system is down. */
  | 'transport-failed'
  /** The remote transport's outbound queue to that system was full (messages or bytes). */
  | 'outbound-queue-full'
  /** For another process, but no codec is registered for its kind (or the codec refused it). */
  | 'no-codec'
  /** Bigger, encoded, than the largest frame the far system accepts. */
  | 'message-too-big'
  /** For an incarnation of a system that is down and quarantined: that actor will never answer. */
  | 'quarantined';

export interface DeadLetter {
  readonly recipient: string;
  readonly message: unknown;
  /** Path of the sender, if one was given. */
  readonly sender: string | undefined;
  readonly reason: DeadLetterReason;
  readonly time: number;
  /** Set when the message was an ask: the asker has already been answered with an error. */
  readonly correlationId: number | undefined;
  /** What exactly went wrong, when the reason alone does not say (which codec is missing). */
  readonly detail?: string;
}
