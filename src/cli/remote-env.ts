// The remote transport's limits (src/runtime/remote/remote-limits.ts) that `npm start` takes from
// the environment: the ones an operator of a node that accepts agents may want to change. Unset
// or empty keeps the default; anything else must be a positive integer, or the start fails naming
// the variable (remoteLimits then checks that the limits make sense together).
import type { RemoteLimits } from '../runtime/remote/remote-limits.ts';

/** Variable -> the limit it sets. */
export const REMOTE_ENV: Readonly<Record<string, keyof RemoteLimits>> = {
  VF_REMOTE_MAX_FRAME_BYTES: 'maxFrameBytes',
  VF_REMOTE_MAX_QUEUE_BYTES: 'maxQueueBytes',
  VF_REMOTE_MAX_QUEUE_MESSAGES: 'maxQueueMessages',
  VF_REMOTE_HEARTBEAT_MS: 'heartbeatMs',
  VF_REMOTE_DOWN_AFTER_MS: 'downAfterMs',
  VF_REMOTE_INBOUND_MESSAGES_PER_SECOND: 'inboundMessagesPerSecond',
  VF_REMOTE_INBOUND_BYTES_PER_SECOND: 'inboundBytesPerSecond',
  VF_REMOTE_MAX_ASSOCIATIONS: 'maxAssociations',
};

export function remoteLimitsFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<RemoteLimits> {
  const limits: Partial<Record<keyof RemoteLimits, number>> = {};
  for (const [name, limit] of Object.entries(REMOTE_ENV)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got "${value.slice(0, 40)}"`);
    limits[limit] = n;
  }
  // A faster inbound rate needs a burst at least as large, or the bucket could never hold a second's worth.
  if (limits.inboundMessagesPerSecond !== undefined) limits.inboundMessageBurst = 2 * limits.inboundMessagesPerSecond;
  if (limits.inboundBytesPerSecond !== undefined) limits.inboundByteBurst = 2 * limits.inboundBytesPerSecond;
  return limits;
}
