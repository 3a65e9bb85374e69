// A message that could not be delivered, with why. Reasons are data so the retry actor can decide
// which ones are worth another attempt (a full mailbox is; an expired ask is not).

export type DeadLetterReason =
  | 'recipient-unknown'
  | 'recipient-stopped'
  | 'mailbox-full'
  | 'mailbox-dropped'
  | 'stash-full'
  | 'ask-expired'
  | 'transport-failed';

export interface DeadLetter {
  readonly recipient: string;
  readonly message: unknown;
  /** Path of the sender, if one was given. */
  readonly sender: string | undefined;
  readonly reason: DeadLetterReason;
  readonly time: number;
  /** Set when the message was an ask: the asker has already been answered with an error. */
  readonly correlationId: number | undefined;
}
