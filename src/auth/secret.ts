// The token-signing key: VF_SECRET when set (so that tokens survive a restart and several nodes
// accept each other's), otherwise 32 random bytes made at start (every restart invalidates tokens).
import { randomBytes } from 'node:crypto';

export const MIN_SECRET_BYTES = 32;

export function signingKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const given = env.VF_SECRET;
  if (given === undefined || given === '') return randomBytes(MIN_SECRET_BYTES);
  const key = Buffer.from(given, 'utf8');
  if (key.length < MIN_SECRET_BYTES) throw new RangeError(`VF_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);
  return key;
}
